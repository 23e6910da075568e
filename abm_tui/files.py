"""Writing files safely: atomically, never over an input, and CSV cells a spreadsheet cannot run.

A scheduler that kills a weekly run, or a full disk, must never leave a half-written export or plan
where a CRM import or a planner will pick it up. Exported CSVs are opened in Excel and imported into
CRMs by people who did not make them, so a cell a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import polars as pl

from abm_tui.errors import AbmError


def write_with(path: Path, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp_path)`, then move the finished file into place.

    An OSError (a folder below a file, no permission, a full disk) becomes an AbmError naming the path,
    so every caller, the workbench's workers included, says it in one line instead of crashing."""
    if path.is_dir():
        raise AbmError(f"{path}: is a folder; expected the name of a file to write")
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
    except (OSError, pl.exceptions.PolarsError) as err:
        if isinstance(err, FileExistsError) and err.filename is None:
            raise  # write_new's own "every name is taken", already worded
        code = _errno(err)
        if code is None and not isinstance(err, OSError):
            raise  # a Polars error that is not the disk's: not ours to word
        blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            raise AbmError(f"{path}: cannot write: {blocker} is a file, not a folder") from err
        reason = os.strerror(code) if code is not None else (getattr(err, "strerror", None) or str(err))
        raise AbmError(f"{path}: cannot write: {reason.lower()}") from err


_OS_ERROR = re.compile(r"\(os error (\d+)\)")


def _errno(err: BaseException) -> int | None:
    """The OS error behind `err`: an OSError's own, or the `(os error 28)` Polars puts in the text of the
    ComputeError it raises when a Parquet write hits a full disk."""
    if isinstance(err, OSError) and err.errno:
        return err.errno
    found = _OS_ERROR.search(str(err))
    return int(found.group(1)) if found else None


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


def csv_text(frame: pl.DataFrame) -> str:
    """The one CSV rendering of a frame for people: every CSV abm-tui prints or writes goes through here."""
    return spreadsheet_safe(frame).write_csv()


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


def inside(folder: Path, names: Iterable[str]) -> None:
    """Refuse a name whose folder resolves outside `folder` (a `linkedin` symlink to elsewhere, a `..`), so an
    export never writes or deletes a file the planner did not point it at; and a name taken by a folder, so
    the moves into place cannot fail half-way."""
    root = folder.resolve()
    for name in names:
        path = folder / name
        if path.is_dir():
            raise AbmError(f"{path}: is a folder where this run writes a file; move it away or choose another "
                           "--out folder")
        if not path.parent.resolve().is_relative_to(root):
            link = next((p for p in (path.parent, *path.parent.parents) if p.is_symlink()), path.parent)
            raise AbmError(f"{path}: is outside the output folder {folder} (through {link}); refusing to write there."
                           " Remove the link or choose another --out folder")


def writable_folder(folder: Path) -> Path:
    """`folder`, made if missing, or a one-line AbmError when it is a file or cannot be made."""
    if folder.exists() and not folder.is_dir():
        raise AbmError(f"{folder}: is a file, not a folder; expected a folder to write the files into")
    with _said_as_cannot_write(folder):
        folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (flock on the folder itself, so no lock file is left behind): two runs
    at once on one folder take turns instead of interleaving their files or their snapshots. A folder made here
    and left empty (the run failed) is removed again, so a failed run leaves no trace."""
    made = not folder.exists()
    writable_folder(folder)
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
        if made:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty


# --- staged publishing ----------------------------------------------------------------------------
#
# A run writes every file into a staging folder inside the output folder, then writes a journal naming
# what to move and what to remove, then moves the files into place, the last one (the manifest) last.
# Killed before the journal, the folder is untouched and the staging folder is discarded by the next run;
# killed after it, the next run finishes the moves. Renames within one folder tree never copy data.

Content = pl.DataFrame | str  # a frame: Parquet for a .parquet name, a warehouse's load file (LOAD_SUFFIX) as it
LOAD_SUFFIX = ".copy"           # is (a machine reads it, not a spreadsheet), else formula-safe CSV
STAGING_PREFIX = ".abm-tui-staging-"
JOURNAL = ".journal.json"
_STRAY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")  # what mkstemp(prefix=".NAME.", suffix=".tmp") names


def _writer(name: str, content: Content) -> Callable[[Path], object]:
    if isinstance(content, str):
        return lambda tmp: tmp.write_text(content, encoding="utf-8")
    if name.endswith(".parquet"):
        return lambda tmp: content.write_parquet(tmp)
    if name.endswith(LOAD_SUFFIX):
        return lambda tmp: content.write_csv(tmp, include_header=False)
    safe = spreadsheet_safe(content)
    return lambda tmp: safe.write_csv(tmp)


def stage(folder: Path, files: Sequence[tuple[str, Content]],
          progress: Callable[[str], object] | None = None) -> Path:
    """Write `files` (names relative to `folder`) into a new staging folder inside it; an OSError names the file."""
    with _said_as_cannot_write(folder):
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
    try:
        for name, content in files:
            if progress is not None:
                progress(name)
            target = staging / name
            write = _writer(name, content)
            with _said_as_cannot_write(folder / name):
                target.parent.mkdir(parents=True, exist_ok=True)
                write(target)
                os.chmod(target, 0o666 & ~_UMASK)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def commit(folder: Path, staging: Path, names: Sequence[str], removals: Sequence[str] = ()) -> None:
    """Move the staged `names` into `folder` (the last name last, after `removals` are deleted)."""
    journal = {"move": list(names), "remove": list(removals)}
    with _said_as_cannot_write(folder):
        _hold_replaced(folder, staging, [*names, *removals])
        write_text(staging / JOURNAL, json.dumps(journal))
        _apply(folder, staging, journal)


def _hold_replaced(folder: Path, staging: Path, names: Sequence[str]) -> None:
    """A second link, inside the staging folder, to every file the moves replace or remove: a rename over a file's
    last link frees its blocks there and then (a tenth of a second for a large export), which would widen the
    moment the folder is half old, half new; this way the blocks are freed when the staging folder goes."""
    held = staging / ".replaced"
    held.mkdir()
    for i, name in enumerate(names):
        if (folder / name).is_file():
            os.link(folder / name, held / str(i))


def _apply(folder: Path, staging: Path, journal: dict[str, list[str]]) -> None:
    moves = journal["move"]
    for name in moves[:-1]:
        _move(staging / name, folder / name)
    for name in journal["remove"]:
        (folder / name).unlink(missing_ok=True)
    for name in moves[-1:]:
        _move(staging / name, folder / name)
    (staging / JOURNAL).unlink()  # done: what is left is only to free (the replaced files' blocks)
    shutil.rmtree(staging)


def _move(source: Path, target: Path) -> None:
    """A move that a second attempt (after a kill) finds already done."""
    if source.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)


def recover(folder: Path, depth: int = 1) -> tuple[str, ...]:
    """Finish or discard what an interrupted run left in `folder`: staging folders (finished when their journal
    was written, else removed) and stray temporary files, also in its subfolders `depth` levels down."""
    if not folder.is_dir():
        return ()
    notes = []
    with _said_as_cannot_write(folder):
        for path in sorted(folder.iterdir()):
            if path.name.startswith(STAGING_PREFIX) and path.is_dir() and not path.is_symlink():
                journal = path / JOURNAL
                if journal.is_file():
                    _apply(folder, path, json.loads(journal.read_text(encoding="utf-8")))
                    notes.append(f"{folder}: finished the moves of an interrupted run")
                else:
                    shutil.rmtree(path)
                    notes.append(f"{folder}: removed {path.name}, left by an interrupted run")
            elif _STRAY.fullmatch(path.name) and path.is_file() and not path.is_symlink():
                path.unlink()
                notes.append(f"{folder}: removed {path.name}, left by an interrupted write")
            elif depth > 0 and path.is_dir() and not path.is_symlink():
                notes.extend(recover(path, depth - 1))
    return tuple(notes)
