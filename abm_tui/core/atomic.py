"""Atomic writes: a temporary file in the target folder, then a rename.

A scheduler that kills a weekly run, or a full disk, must never leave a half-written export
or plan where a CRM import or a planner will pick it up.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path


def write_with(path: Path, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp_path)`, then move the finished file into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return path


def write_new(names: Iterable[Path], write: Callable[[Path], object]) -> Path:
    """Write once, then take the first of `names` that does not exist yet; a file already there is never
    replaced, even when two writers race for the same name (a link fails where a rename would overwrite)."""
    names = iter(names)
    first = next(names)
    folder = first.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{first.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        os.chmod(tmp_path, 0o666 & ~_umask())
        for path in itertools.chain((first,), names):
            try:
                os.link(tmp_path, path)
            except FileExistsError:
                continue
            return path
        raise FileExistsError(f"{folder}: every name for this file is taken")
    finally:
        tmp_path.unlink(missing_ok=True)


def _umask() -> int:
    """mkstemp makes owner-only files; exports get the permissions any new file would have."""
    current = os.umask(0)
    os.umask(current)
    return current


def write_text(path: Path, text: str) -> Path:
    return write_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
