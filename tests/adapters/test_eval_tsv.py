"""Reading evaluation TSV files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from controlroom.adapters.eval_tsv import parse_eval_tsv, read_eval_path, read_eval_tsv
from controlroom.adapters.policy_file import load_policy
from controlroom.domain.errors import InvalidInput
from controlroom.domain.evaluation import Label

HEADER = "text\tlabel\tagency\tsource_url\tkind\n"
DEV_SET = Path("/work/shared/eval/triage-dev.tsv")


def write(tmp_path: Path, content: str | bytes, name: str = "set.tsv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def test_reads_rows_with_line_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "Someone is breaking in\temergency\tpolice 999\thttps://example.org/a\tpublished_call\n"
        + "\n"
        + "My cat is stuck up a tree\tinappropriate\t\thttps://example.org/b\tguidance_example\n",
    )
    examples = read_eval_tsv(path)
    assert [(e.line, e.label, e.text) for e in examples] == [
        (2, Label.EMERGENCY, "Someone is breaking in"),
        (4, Label.INAPPROPRIATE, "My cat is stuck up a tree"),
    ]
    assert examples[0].agency == "police 999"
    assert examples[0].source_url == "https://example.org/a"
    assert examples[1].kind == "guidance_example"


def test_columns_found_by_name_and_optional_ones_may_be_left_out(tmp_path: Path) -> None:
    path = write(tmp_path, "label\ttext\nother_agency\tA pothole on the A30\n")
    (example,) = read_eval_tsv(path)
    assert example.label is Label.OTHER_AGENCY
    assert example.text == "A pothole on the A30"
    assert example.agency == ""


def test_windows_line_endings_and_a_bom_are_accepted(tmp_path: Path) -> None:
    data = ("\ufeff" + HEADER + "Lost wallet\tnon_emergency_police\t\t\t\n").replace("\n", "\r\n")
    (example,) = read_eval_tsv(write(tmp_path, data.encode("utf-8")))
    assert example.text == "Lost wallet"
    assert example.label is Label.NON_EMERGENCY_POLICE


def test_unknown_label_names_file_line_column_and_the_allowed_labels(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "ok\temergency\t\t\t\nbad\temergancy\t\t\t\n")
    with pytest.raises(InvalidInput) as caught:
        read_eval_tsv(path)
    error = caught.value
    assert str(path) in error.message
    assert "line 3" in error.message
    assert "'label'" in error.message
    assert "'emergancy'" in error.message
    assert error.field == "label"
    assert error.hint is not None
    for label in Label:
        assert label.value in error.hint


def test_wrong_number_of_fields_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "only text\temergency\n")
    with pytest.raises(InvalidInput, match=r"line 2: expected 5 tab-separated fields, found 2"):
        read_eval_tsv(path)


def test_empty_text_names_the_column(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "  \temergency\t\t\t\n")
    with pytest.raises(InvalidInput, match=r"line 2, column 'text': the text is empty"):
        read_eval_tsv(path)


def test_missing_required_column_names_it(tmp_path: Path) -> None:
    path = write(tmp_path, "text\tagency\nhello\tcouncil\n")
    with pytest.raises(InvalidInput, match=r"line 1, column 'label': the header has no such"):
        read_eval_tsv(path)


def test_duplicate_column_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "text\tlabel\ttext\n")
    with pytest.raises(InvalidInput, match=r"column 'text': the column appears twice"):
        read_eval_tsv(path)


def test_invalid_utf8_names_the_line_and_byte(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER.encode() + b"caf\xe9\temergency\t\t\t\n")
    with pytest.raises(InvalidInput, match=r"line 2: not valid UTF-8 \(byte 0xE9 at byte 4\)"):
        read_eval_tsv(path)


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="the file is empty"):
        read_eval_tsv(write(tmp_path, ""))


def test_header_only_gives_no_rows(tmp_path: Path) -> None:
    assert read_eval_tsv(write(tmp_path, HEADER)) == []


def test_missing_file_is_an_input_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.tsv"
    with pytest.raises(InvalidInput, match=r"nope\.tsv") as caught:
        read_eval_tsv(missing)
    assert caught.value.field == "file"


def test_parse_names_the_source() -> None:
    with pytest.raises(InvalidInput, match=r"^dev\.tsv, line 2"):
        parse_eval_tsv([b"text\tlabel", b"x\tnope"], source="dev.tsv")


@pytest.mark.skipif(not DEV_SET.exists(), reason="shared evaluation data not present")
def test_reads_the_shared_development_set() -> None:
    examples = read_eval_tsv(DEV_SET)
    assert len(examples) == 141
    assert {e.label for e in examples} == set(Label)


def test_a_directory_is_read_as_its_tsv_files_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, HEADER + "Second file row\tinappropriate\t\t\t\n", "b.tsv")
    write(tmp_path, HEADER + "First\temergency\t\t\t\nAgain\tother_agency\tcouncil\t\t\n", "a.tsv")
    write(tmp_path, "not a tsv file", "notes.txt")
    (tmp_path / "nested").mkdir()
    write(tmp_path / "nested", HEADER + "Ignored\temergency\t\t\t\n", "c.tsv")
    examples = read_eval_path(tmp_path)
    assert [(Path(e.file).name, e.line, e.text) for e in examples] == [
        ("a.tsv", 2, "First"),
        ("a.tsv", 3, "Again"),
        ("b.tsv", 2, "Second file row"),
    ]


def test_a_single_file_is_read_without_a_file_name_on_its_rows(tmp_path: Path) -> None:
    (example,) = read_eval_path(write(tmp_path, HEADER + "Lost dog\tother_agency\t\t\t\n"))
    assert example.file == ""


def test_a_directory_without_tsv_files_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_eval_path(tmp_path)
    assert str(tmp_path) in caught.value.message
    assert "no .tsv files" in caught.value.message


def test_an_error_in_one_file_of_a_directory_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, HEADER + "fine\temergency\t\t\t\n", "a.tsv")
    write(tmp_path, HEADER + "fine\temergency\t\t\t\nbad\turgent\t\t\t\n", "b.tsv")
    with pytest.raises(InvalidInput) as caught:
        read_eval_path(tmp_path)
    assert "b.tsv, line 3, column 'label'" in caught.value.message


# --- the project's own corpus ---------------------------------------------------------------

CORPUS = Path(__file__).resolve().parents[2] / "eval" / "corpus"


def _normalised(text: str) -> str:
    return " ".join(text.casefold().split())


def test_the_project_corpus_reads_cleanly_and_covers_every_label() -> None:
    examples = read_eval_path(CORPUS)
    assert len(examples) >= 2500
    counts = {label: sum(e.label is label for e in examples) for label in Label}
    assert all(count >= 400 for count in counts.values()), counts
    assert {e.kind for e in examples} == {"written"}
    assert all(e.source_url for e in examples)


def test_the_project_corpus_has_no_duplicate_lines() -> None:
    seen: dict[str, str] = {}
    for example in read_eval_path(CORPUS):
        key = _normalised(example.text)
        where = f"{Path(example.file).name}:{example.line}"
        assert key not in seen, f"{where} repeats {seen[key]}"
        seen[key] = where


def test_every_other_agency_line_names_an_agency_of_the_shipped_policy() -> None:
    agencies = load_policy("dcp-p-042").agencies
    for example in read_eval_path(CORPUS):
        if example.label is Label.OTHER_AGENCY or example.agency:
            assert example.agency in agencies, f"{example.file}:{example.line}"


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9']+", _normalised(text)))


def test_the_project_corpus_has_no_near_copy_of_a_development_line() -> None:
    # A corpus line sharing more than 60% of its words (Jaccard) with a development line is a
    # near-copy: the corpus must measure what the development set did not tune.
    if not DEV_SET.exists():
        pytest.skip("shared evaluation data not present")
    dev = [(e.text, _words(e.text)) for e in read_eval_tsv(DEV_SET)]
    corpus = [(e, _words(e.text)) for e in read_eval_path(CORPUS)]
    near = [
        f"{Path(e.file).name}:{e.line} ~ {text}"
        for e, mine in corpus
        for text, words in dev
        if len(mine & words) > 0.6 * len(mine | words)
    ]
    assert near == []
