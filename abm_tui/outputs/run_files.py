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
from abm_tui.files import Content, commit, csv_text, guard_inputs, locked, stage
from abm_tui.ingest.load import LoadReport
from abm_tui.plan.dump import dumps_plan
from abm_tui.plan.model import Plan
from abm_tui.plan.paths import input_paths, relocated

RUN_FILES = ("assignments.csv", "assignments.parquet", "matrix.csv", "plan.toml")


def matrix_csv(matrix: Matrix) -> str:
    return csv_text(matrix.to_frame())


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


def unmatched_file(report: LoadReport) -> list[tuple[str, Content]]:
    """The engagement rows that found no account, with why and their row in the file: the planner's to-do list.

    Written on every run with an engagement file, even when empty, so the file never shows last week's rows.
    """
    return [] if report.match is None else [(UNMATCHED_FILE, report.match.unmatched)]


def run_files(frame: pl.DataFrame, matrix: Matrix, plan: Plan, out_dir: Path,
              files: tuple[str, ...] = RUN_FILES) -> list[tuple[str, Content]]:
    """The files of `abm-tui run` (or the chosen ones) as they will be written into out_dir, nothing written yet."""
    unknown = [name for name in files if name not in RUN_FILES]
    if unknown:
        raise AbmError(f"cannot export {unknown[0]!r}; expected some of {', '.join(RUN_FILES)}")
    contents: dict[str, Callable[[], Content]] = {
        "assignments.csv": lambda: frame,
        "assignments.parquet": lambda: frame,
        "matrix.csv": lambda: matrix_csv(matrix),
        "plan.toml": lambda: dumps_plan(relocated(plan, out_dir)),
    }
    return [(name, contents[name]()) for name in files]


def run_exports(frame: pl.DataFrame, matrix: Matrix, plan: Plan, out_dir: Path, plan_file: Path | None = None,
                files: tuple[str, ...] = RUN_FILES, progress: Callable[[str], object] | None = None) -> list[Path]:
    """Write the files of `abm-tui run` (or the chosen ones) into out_dir, all at once; `progress` hears each name."""
    drafts = run_files(frame, matrix, plan, out_dir, files)
    guard_inputs([out_dir / name for name, _ in drafts], input_paths(plan, plan_file))
    with locked(out_dir):
        commit(out_dir, stage(out_dir, drafts, progress), [name for name, _ in drafts])
    return [out_dir / name for name, _ in drafts]
