"""Files that leave abm-tui: assignments, the matrix, and the plan that made them.

Every file is written atomically, none may replace an input, and CSV cells that a spreadsheet
would run as a formula are neutralised, because these files are opened in Excel and imported
into CRMs by people who did not make them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import polars as pl

from abm_tui.engine.segment import Matrix
from abm_tui.errors import AbmError
from abm_tui.files import guard_inputs, spreadsheet_safe, write_csv, write_parquet, write_text
from abm_tui.ingest.load import LoadReport
from abm_tui.plan.dump import dumps_plan
from abm_tui.plan.model import Plan
from abm_tui.plan.paths import input_paths, relocated

RUN_FILES = ("assignments.csv", "assignments.parquet", "matrix.csv", "plan.toml")


def matrix_csv(matrix: Matrix) -> str:
    return spreadsheet_safe(matrix.to_frame()).write_csv()


def matrix_json(matrix: Matrix) -> str:
    values = matrix.values.tolist()
    return json.dumps(
        {
            "rows": list(matrix.rows),
            "cols": list(matrix.cols),
            "counts": values,
            "total": matrix.total,
            "row_dim": matrix.row_dim,
            "col_dim": matrix.col_dim,
            "measure": matrix.measure,
        },
        indent=2,
    )


UNMATCHED_FILE = "unmatched_engagement.csv"


def write_unmatched(report: LoadReport, out_dir: Path, inputs: set[Path] | frozenset[Path]) -> Path | None:
    """The engagement rows that found no account, with why and their row in the file: the planner's to-do list.

    Written on every run with an engagement file, even when empty, so the file never shows last week's rows.
    """
    if report.match is None:
        return None
    path = out_dir / UNMATCHED_FILE
    guard_inputs([path], set(inputs))
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_csv(report.match.unmatched, path)


def run_exports(frame: pl.DataFrame, matrix: Matrix, plan: Plan, out_dir: Path, plan_file: Path | None = None,
                files: tuple[str, ...] = RUN_FILES, progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write the files of `abm-tui run` (or the chosen ones) into out_dir; `progress` hears each name first."""
    unknown = [name for name in files if name not in RUN_FILES]
    if unknown:
        raise AbmError(f"cannot export {unknown[0]!r}; expected some of {', '.join(RUN_FILES)}")
    targets = {name: out_dir / name for name in files}
    guard_inputs(list(targets.values()), input_paths(plan, plan_file))
    out_dir.mkdir(parents=True, exist_ok=True)
    writers: dict[str, Callable[[Path], Path]] = {
        "assignments.csv": lambda path: write_csv(frame, path),
        "assignments.parquet": lambda path: write_parquet(frame, path),
        "matrix.csv": lambda path: write_text(path, matrix_csv(matrix)),
        "plan.toml": lambda path: write_text(path, dumps_plan(relocated(plan, out_dir))),
    }
    written = []
    for name, path in targets.items():
        if progress is not None:
            progress(name)
        written.append(writers[name](path))
    return written
