"""What this machine gives a process: its cores and memory, within a container's limits
(cgroup v2) when there are any."""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path

#: Where cgroup v2 shows the process's own limits.
CGROUP = Path("/sys/fs/cgroup")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def cpu_count(cgroup: Path = CGROUP) -> int:
    """The cores this process may run on: its CPU affinity, lowered to a cgroup's CPU quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    quota = (_read(cgroup / "cpu.max") or "max").split()
    if len(quota) == 2 and quota[0] != "max":
        with contextlib.suppress(ValueError, ZeroDivisionError):
            cores = min(cores, max(1, math.ceil(int(quota[0]) / int(quota[1]))))
    return max(1, cores)


def memory_mb(cgroup: Path = CGROUP) -> int:
    """The memory this process may use, in MiB: the machine's, lowered to a cgroup's limit."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        total = 0
    limit = _read(cgroup / "memory.max")
    if limit and limit.isdigit():
        total = min(total, int(limit)) if total else int(limit)
    return total // (1024 * 1024)
