"""Reading optional sections of a force's policy file (``[nuisance]``, ``[online_reporting]``).

The policy loader checks the core of the file; the parts of controlroom that own an optional
section read it from the same file with these two helpers, so every section reports a missing or
unreadable file the same way.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from controlroom.adapters.policy_file import shipped_policies
from controlroom.adapters.policy_reading import PolicyFileError


def locate_policy(reference: str | Path) -> tuple[Path, str]:
    """The file a policy reference names (a shipped name or a path) and how to show it."""
    if isinstance(reference, str):
        shipped = shipped_policies()
        if reference in shipped:
            return shipped[reference], shipped[reference].name
    return Path(reference), str(reference)


def read_policy_toml(path: Path, display: str) -> dict[str, Any]:
    """The whole policy file as TOML data; :class:`PolicyFileError` when it cannot be read."""
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise PolicyFileError(path, "file not found", display=display) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyFileError(
            path,
            f"cannot be read: {exc}",
            display=display,
            hint="run `controlroom policy check FILE` for the details",
        ) from None
