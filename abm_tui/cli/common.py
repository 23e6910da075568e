"""What several commands share: opening a plan's session, the default output folder, the matrix as text,
and writing a run's files with what happened in words."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from abm_tui.engine.segment import Matrix
    from abm_tui.session import Session


def open_session(plan_path: str) -> Session:
    """The plan's session, its data loaded; imported here so that --help never loads Polars."""
    from abm_tui.session import Session

    return Session.open(plan_path)


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
