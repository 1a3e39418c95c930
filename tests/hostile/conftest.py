"""The ``tmpfs`` fixture: a real small file system, mounted as root where that is allowed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest


def _mount(where: Path, options: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root); the same logic is tested "
                    "by fault injection")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"this machine does not allow mounting a tmpfs ({res.stderr.strip()}); "
                    "the same logic is tested by fault injection")


@pytest.fixture
def tmpfs(tmp_path):
    """``tmpfs(size_kib, read_only=False)`` mounts a fresh tmpfs and returns its folder;
    every mount is unmounted at the end."""
    mounted = []

    def mount(size_kib: int, read_only: bool = False) -> Path:
        where = tmp_path / f"mnt{len(mounted)}"
        _mount(where, f"size={size_kib}k,mode=0755" + (",ro" if read_only else ""))
        mounted.append(where)
        return where

    yield mount
    for where in reversed(mounted):
        subprocess.run(["umount", "-l", str(where)], check=False)
