"""What several commands share: checking their arguments, opening a plan's session, the default output folder,
the matrix as text, and writing a run's files with what happened in words."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from abm_tui.errors import AbmError

if TYPE_CHECKING:
    from abm_tui.engine.segment import Matrix
    from abm_tui.session import Session

# Names that say "a table of records": what a planner exports from a CRM or a spreadsheet, never a plan.
DATA_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq", ".ndjson", ".jsonl")


def is_data_file(path: Path) -> bool:
    return path.suffix.lower() in DATA_SUFFIXES and path.is_file()


def check_plan_argument(text: str) -> Path:
    """The path given where a plan belongs; a data file there is named as one, with the command that starts a
    plan from it, instead of a TOML parser's complaint about its first line."""
    path = Path(text)
    if is_data_file(path):
        raise AbmError(f"{path}: is a data file, not a plan (a .toml file); to start a plan from it: "
                       f"abm-tui init {path}")
    return path


def check_data_argument(text: str, expected: str) -> Path:
    """The path given where a data file belongs; a plan there is named as one, with how to open it."""
    from abm_tui.history.diff import PLAN_SUFFIX

    path = Path(text)
    if path.suffix.lower() == PLAN_SUFFIX and path.is_file():
        raise AbmError(f"{path}: is a plan, not {expected}; open it with: abm-tui {path}")
    return path


def check_range(flag: str, value: int | None, low: int, high: int | None = None) -> None:
    """A whole-number flag inside its bounds, refused in one line before anything is read or written."""
    if value is None:
        return
    if value < low:
        raise AbmError(f"{flag}: expected a whole number of at least {low:,}, got {value}")
    if high is not None and value > high:
        raise AbmError(f"{flag}: expected a whole number of at most {high:,}, got {value}")


def open_session(plan_path: str) -> Session:
    """The plan's session, its data loaded; imported here so that --help never loads Polars."""
    from abm_tui.session import Session

    return Session.open(check_plan_argument(plan_path))


def open_publishable(plan_path: str) -> Session:
    """The session of a run that writes files: a load with no account, or with engagement that matched none,
    is refused before anything is printed or written."""
    session = open_session(plan_path)
    session.check_publishable()
    return session


def out_dir(args: argparse.Namespace, plan_path: Path) -> Path:
    return Path(args.out) if args.out else plan_path.resolve().parent / "exports"


def publish(session: Session, out_dir: Path, plan_path: Path, run_files: tuple[str, ...],
            destinations: tuple[str, ...], matrix: Matrix | None = None, keep_history: bool = False) -> None:
    """Write the run's files and destinations (as `run` and `export` do), then list them and their warnings."""
    from abm_tui.outputs.destinations import ExportContext
    from abm_tui.outputs.publish import publish

    context = ExportContext.of(session, plan_path)
    matrix = session.matrix() if matrix is None else matrix
    published = publish(context, matrix, session.report, out_dir, plan_path, run_files,
                        destinations, history=session if keep_history else None)
    for path in (*published.files, published.manifest):
        print(f"wrote {path}")
    for line in (*(f"warning: {w}" for w in published.warnings), *published.notes):
        print(line)
    if published.movement:
        print()
        print(published.movement)


def format_table(matrix: Matrix) -> str:
    """The matrix as aligned text, with row and column totals."""
    cols = list(matrix.cols) + ["Total"]
    rows = list(matrix.rows) + ["Total"]
    values = matrix.values
    grid = [[*row, row.sum()] for row in values] + [[*values.sum(axis=0), values.sum()]]
    fmt = "{:,.0f}".format
    head = f"{matrix.row_dim} \\ {matrix.col_dim}"
    first = max(len(head), *(len(r) for r in rows))
    widths = [max(len(c), *(len(fmt(line[j])) for line in grid)) for j, c in enumerate(cols)]
    lines = [head.ljust(first) + "  " + "  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True))]
    for label, line in zip(rows, grid, strict=True):
        lines.append(label.ljust(first) + "  " + "  ".join(fmt(v).rjust(w) for v, w in zip(line, widths, strict=True)))
    if matrix.measure != "count":
        lines.append(f"(sum of {matrix.measure})")
    return "\n".join(lines)
