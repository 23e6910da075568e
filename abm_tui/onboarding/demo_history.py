"""Earlier weeks of a demo, so a new user sees movement and a quarterly review on first launch.

The engagement file already spans months, so an earlier as-of date shows the engagement as it was
that week (later events are ignored as always). What the files cannot show is the CRM as it was:
here a share of today's won and lost deals were still open in earlier weeks, and a share of today's
open opportunities had not been opened yet. Each earlier week is a real segmentation of that state,
kept as a snapshot exactly as `abm-tui run` keeps one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

from abm_tui.engine.features import resolve_as_of
from abm_tui.history.snapshots import Snapshot, history_folder, snapshot_frame, write_snapshot
from abm_tui.ingest.presets import CrmStage
from abm_tui.plan.model import Plan
from abm_tui.plan.parse import load_plan
from abm_tui.session import Dataset, Session, build_workspace, load_dataset

WEEKS_BACK = (2, 1, 0)
# Of today's closed deals and open opportunities, the share not yet there 1 and 2 weeks earlier.
_CLOSED_SHARE = {1: 0.12, 2: 0.25}
_OPENED_SHARE = {1: 0.15, 2: 0.3}


def write_demo_history(plan_path: Path, seed: int = 7) -> list[Path]:
    """One snapshot per week in WEEKS_BACK, ending on the plan's as-of date, in the plan's history folder."""
    plan = load_plan(plan_path)
    dataset = load_dataset(plan)
    as_of = resolve_as_of(plan.as_of, dataset.events)
    draw = np.random.default_rng(seed).random(dataset.accounts.height)
    written = [_snapshot(plan, dataset, as_of, weeks, draw) for weeks in WEEKS_BACK]
    return [snapshot.path for snapshot in written]


def _snapshot(plan: Plan, dataset: Dataset, as_of: dt.date, weeks: int, draw: np.ndarray) -> Snapshot:
    day = as_of - dt.timedelta(days=7 * weeks)
    week = replace(plan, as_of=day)
    accounts = _crm_back(dataset.accounts, weeks, draw) if weeks else dataset.accounts
    session = Session(week, build_workspace(replace(dataset, accounts=accounts), week))
    return write_snapshot(history_folder(plan), snapshot_frame(session, session.assignments()), week, day)


def _crm_back(accounts: pl.DataFrame, weeks: int, draw: np.ndarray) -> pl.DataFrame:
    """The CRM stages `weeks` weeks earlier: recent wins and losses still open, recent openings not yet open."""
    if "crm_stage" not in accounts.columns:
        return accounts
    stage = pl.col("crm_stage")
    drawn = pl.Series(draw)
    return accounts.with_columns(
        pl.when(stage.is_in([CrmStage.CLOSED_WON, CrmStage.CLOSED_LOST]) & (drawn < _CLOSED_SHARE[weeks]))
        .then(pl.lit(CrmStage.OPEN))
        .when((stage == CrmStage.OPEN) & (drawn < _OPENED_SHARE[weeks]))
        .then(pl.lit(CrmStage.NONE))
        .otherwise(stage)
        .alias("crm_stage")
    )
