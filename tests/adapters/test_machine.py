"""This machine's cores and memory, lowered to a container's cgroup limits."""

from __future__ import annotations

import os
from pathlib import Path

from controlroom.adapters.machine import cpu_count, memory_mb


def limits(folder: Path, cpu: str | None = None, memory: str | None = None) -> Path:
    if cpu is not None:
        (folder / "cpu.max").write_text(cpu + "\n")
    if memory is not None:
        (folder / "memory.max").write_text(memory + "\n")
    return folder


def test_without_limits_the_machine_s_own(tmp_path: Path) -> None:
    assert cpu_count(tmp_path) == len(os.sched_getaffinity(0))
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    assert memory_mb(tmp_path) == physical
    assert memory_mb(limits(tmp_path, "max 100000", "max")) == physical
    assert cpu_count(tmp_path) == len(os.sched_getaffinity(0))


def test_a_container_s_quota_lowers_them(tmp_path: Path) -> None:
    limits(tmp_path, "50000 100000", str(768 * 2**20))  # half a core, 768 MiB
    assert cpu_count(tmp_path) == 1
    assert memory_mb(tmp_path) == 768


def test_unreadable_limits_are_ignored(tmp_path: Path) -> None:
    limits(tmp_path, "lots 0", "plenty")
    assert cpu_count(tmp_path) == len(os.sched_getaffinity(0))
    assert memory_mb(tmp_path) > 0
