"""The layers point inward: checked on the source itself, not by convention."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "controlroom"

# layer -> packages of controlroom it must never import
FORBIDDEN = {
    "domain": ("services", "adapters", "web", "cli", "bootstrap", "config"),
    "services": ("adapters", "web", "cli", "bootstrap"),
    "adapters": ("services", "web", "cli", "bootstrap"),
    "web": ("cli", "adapters"),
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _modules(layer: str) -> list[Path]:
    return sorted((SRC / layer).rglob("*.py"))


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    offenders = []
    for path in _modules("domain"):
        for name in _imports(path):
            top = name.split(".")[0]
            if name.startswith("controlroom.domain") or top in sys.stdlib_module_names:
                continue
            offenders.append(f"{path.relative_to(SRC)}: {name}")
    assert not offenders, offenders


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_do_not_import_outward(layer: str) -> None:
    offenders = []
    for path in _modules(layer):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "controlroom" and len(parts) > 1 and parts[1] in FORBIDDEN[layer]:
                offenders.append(f"{path.relative_to(SRC)}: {name}")
    assert not offenders, offenders


def test_import_linter_contracts_are_kept() -> None:
    linter = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(linter).exists():
        pytest.skip("import-linter is not installed")
    result = subprocess.run(
        [linter], capture_output=True, text=True, cwd=SRC.parents[1], check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_modules_stay_small() -> None:
    too_long = [
        f"{path.relative_to(SRC)} ({count} lines)"
        for path in SRC.rglob("*.py")
        if (count := len(path.read_text().splitlines())) > 420
    ]
    assert not too_long, too_long


def test_triaging_from_the_command_line_does_not_load_the_service() -> None:
    """``controlroom triage`` starts fast: the database, Redis, documents and the web
    framework are not imported to triage."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import controlroom.cli.triage, controlroom.triage_setup\n"
        "heavy = ['sqlalchemy', 'redis', 'fastapi', 'reportlab', 'alembic', 'onnx']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
