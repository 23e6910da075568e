"""Files that leave abm-tui: assignments, the matrix, and the plan that made them.

Every file is written atomically, none may replace an input, and CSV cells that a spreadsheet
would run as a formula are neutralised, because these files are opened in Excel and imported
into CRMs by people who did not make them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

from abm_tui.core.atomic import write_text, write_with
from abm_tui.core.errors import AbmError
from abm_tui.core.explain import reasons
from abm_tui.core.ingest import LoadReport
from abm_tui.core.plan import Plan, dumps_plan
from abm_tui.core.segment import Assignment, Engine, Matrix, met_lists

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
RUN_FILES = ("assignments.csv", "assignments.parquet", "matrix.csv", "plan.toml")


def _labels(labels: tuple[str, ...], codes: np.ndarray, name: str) -> pl.Series:
    return pl.Series(name, labels, dtype=pl.String).gather(pl.Series(codes.astype(np.int64)))


def assignments_frame(engine: Engine, plan: Plan, a: Assignment, rows: np.ndarray | None = None) -> pl.DataFrame:
    """One row per account, in input order: who it is, where it sits, what to run, and why.

    `rows` (account positions) builds the frame for those accounts only, as a drill-down needs.
    """
    table = engine.frame(plan)
    if rows is not None:
        table = table[rows]
        a = replace(a, fit_score=a.fit_score[rows], criteria_met=a.criteria_met[rows], bucket=a.bucket[rows],
                    stage=a.stage[rows], tier=a.tier[rows], play=a.play[rows])
    tier = _labels(a.tier_labels, a.tier, "tier")
    stage = _labels(a.stage_labels, a.stage, "stage")
    motions = [t.motion or "" for t in plan.tiers] + [""]
    play_fields = {key: [getattr(p, key) for p in plan.plays] + [""] for key in ("campaign", "cta", "sales_action")}
    identity = [
        table.get_column(c) if c in table.columns else pl.Series(c, [None] * a.size, dtype=pl.String)
        for c in ("account_id", "name", "domain")
    ]
    engagement = [
        table.get_column(f"engagement_{p}") for p in ("recent", "total") if f"engagement_{p}" in table.columns
    ]
    return pl.DataFrame(
        [
            *identity,
            pl.Series("fit_score", a.fit_score),
            met_lists(a.criteria_met, a.criteria_names),
            *engagement,
            _labels(a.bucket_labels, a.bucket, "bucket"),
            tier,
            _labels(tuple(motions), a.tier, "motion"),
            stage,
            (tier + " / " + stage).alias("segment"),
            _labels(a.play_labels, a.play, "play"),
            *(_labels(tuple(values), a.play, key) for key, values in play_fields.items()),
            reasons(plan, a),
        ]
    )


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


def relocated(plan: Plan, out_dir: Path) -> Plan:
    """The same plan, with data paths rewritten so that it runs as it is from `out_dir`."""
    out_dir = out_dir.resolve()

    def move(path: str | None) -> str | None:
        return None if path is None else relative_path(plan.resolve(path), out_dir)

    data = replace(plan.data, accounts=move(plan.data.accounts), engagement=move(plan.data.engagement))
    return replace(plan, data=data, base_dir=out_dir)


def relative_path(path: Path, base: Path) -> str:
    """How a plan in `base` names a data file: relative, so the folder can move as a whole (absolute across
    Windows drives, where no relative path exists)."""
    target = path.resolve()
    try:
        return os.path.relpath(target, base)
    except ValueError:
        return str(target)


def data_paths(plan: Plan) -> set[Path]:
    """The plan's data files, resolved."""
    paths = {plan.resolve(plan.data.accounts).resolve()}
    if plan.data.engagement:
        paths.add(plan.resolve(plan.data.engagement).resolve())
    return paths


def input_paths(plan: Plan, plan_file: Path | None) -> set[Path]:
    """The data files, and the plan file (given, or the one the plan was loaded from)."""
    paths = data_paths(plan)
    for source in (plan_file, Path(plan.source)):
        if source is not None and source.is_file():
            paths.add(source.resolve())
    return paths


def guard_inputs(targets: list[Path], inputs: set[Path]) -> None:
    """Refuse before writing anything, so a run never half-overwrites the planner's data."""
    clashes = [t for t in targets if t.resolve() in inputs]
    if clashes:
        raise AbmError(f"{clashes[0]}: is an input of this plan; refusing to overwrite it. Choose another --out folder")


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
