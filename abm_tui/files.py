"""Writing files safely: atomically, never over an input, and CSV cells a spreadsheet cannot run.

A scheduler that kills a weekly run, or a full disk, must never leave a half-written export or plan
where a CRM import or a planner will pick it up. Exported CSVs are opened in Excel and imported into
CRMs by people who did not make them, so a cell a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import polars as pl

from abm_tui.errors import AbmError


def write_with(path: Path, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp_path)`, then move the finished file into place.

    An OSError (a folder below a file, no permission, a full disk) becomes an AbmError naming the path,
    so every caller, the workbench's workers included, says it in one line instead of crashing."""
    with _said_as_cannot_write(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp_path = Path(tmp)
        try:
            write(tmp_path)
            os.chmod(tmp_path, 0o666 & ~_UMASK)
            os.replace(tmp_path, path)
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise
    return path


@contextlib.contextmanager
def _said_as_cannot_write(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as err:
        if isinstance(err, FileExistsError) and err.filename is None:
            raise  # write_new's own "every name is taken", already worded
        blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            raise AbmError(f"{path}: cannot write: {blocker} is a file, not a folder") from err
        reason = (err.strerror or str(err)).lower()
        raise AbmError(f"{path}: cannot write: {reason}") from err


def write_new(names: Iterable[Path], write: Callable[[Path], object]) -> Path:
    """Write once, then take the first of `names` that does not exist yet; a file already there is never
    replaced, even when two writers race for the same name (a link fails where a rename would overwrite)."""
    names = iter(names)
    first = next(names)
    folder = first.parent
    with _said_as_cannot_write(first):
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{first.name}.", suffix=".tmp", dir=folder)
        os.close(fd)
        tmp_path = Path(tmp)
        try:
            write(tmp_path)
            os.chmod(tmp_path, 0o666 & ~_UMASK)
            for path in itertools.chain((first,), names):
                try:
                    os.link(tmp_path, path)
                except FileExistsError:
                    continue
                return path
            raise FileExistsError(f"{folder}: every name for this file is taken")
        finally:
            tmp_path.unlink(missing_ok=True)


def _read_umask() -> int:
    """mkstemp makes owner-only files; exports get the permissions any new file would have. Read once at
    import: setting the umask to read it is process-wide, and a thread creating a folder meanwhile would
    get mode 0777."""
    current = os.umask(0)
    os.umask(current)
    return current


_UMASK = _read_umask()


def write_text(path: Path, text: str) -> Path:
    return write_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text a spreadsheet would evaluate gets a leading apostrophe; lists become `a; b` text."""
    fixes = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            column = pl.col(name).cast(pl.List(pl.String)).list.join("; ")
        elif dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            column = pl.col(name).cast(pl.String)
        else:
            continue
        risky = pl.any_horizontal(column.str.starts_with(prefix) for prefix in FORMULA_PREFIXES)
        fixes.append(pl.when(risky).then(pl.lit("'") + column).otherwise(column).alias(name))
    safe = frame.with_columns(fixes)
    return safe.rename({name: safe_text(name) for name in safe.columns if safe_text(name) != name})


def safe_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def write_csv(frame: pl.DataFrame, path: Path) -> Path:
    safe = spreadsheet_safe(frame)
    return write_with(path, lambda tmp: safe.write_csv(tmp))


def write_parquet(frame: pl.DataFrame, path: Path) -> Path:
    return write_with(path, lambda tmp: frame.write_parquet(tmp))


def guard_inputs(targets: list[Path], inputs: set[Path]) -> None:
    """Refuse before writing anything, so a run never half-overwrites the planner's data."""
    clashes = [t for t in targets if t.resolve() in inputs]
    if clashes:
        raise AbmError(f"{clashes[0]}: is an input of this plan; refusing to overwrite it. Choose another --out folder")
