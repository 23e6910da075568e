"""Every number of the deck, from the calls the CLI makes: `abm-tui matrix` (Session.matrix), `abm-tui review`
(review_plan) and `abm-tui icp` (gather). A part that cannot be had (no snapshots yet, no outcomes) is recorded
with the reason, so the deck says what it needs instead of failing."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import polars as pl

from abm_tui.engine.outcomes.outcome import Outcome
from abm_tui.engine.outcomes.report import IcpReport
from abm_tui.engine.segment import Matrix
from abm_tui.errors import AbmError
from abm_tui.history.review import Review, review_plan, snapshot_schema
from abm_tui.history.snapshots import Snapshot, history_folder, list_snapshots
from abm_tui.outputs.icp_report import gather
from abm_tui.session import Session


class Part(StrEnum):
    """The deck's sections, in the order it shows them."""

    MATRIX = "The Tier x Stage matrix"
    CHANGE = "Change against the last snapshot"
    SIZES = "Segment sizes over the snapshots"
    CONVERSION = "Conversion per segment"
    ICP = "ICP lift"
    PLAYS = "Plays per cell"


@dataclass(frozen=True)
class Missing:
    part: Part
    reason: str


@dataclass(frozen=True)
class DeckData:
    plan_name: str
    plan_source: str
    as_of: str
    matrix: Matrix
    previous: Matrix | None  # the newest snapshot's counts on the matrix's rows and columns
    previous_label: str
    review: Review | None
    icp: IcpReport | None
    plays: pl.DataFrame  # tier, stage, play, accounts: one row per play of each cell
    missing: tuple[Missing, ...]

    def lacks(self, part: Part) -> Missing | None:
        return next((m for m in self.missing if m.part is part), None)


def gather_deck(session: Session, outcome: Outcome = Outcome.WON) -> DeckData:
    """The deck's numbers for the session's plan; parts without their history or outcomes are named as missing."""
    plan = session.plan
    matrix = session.matrix("tier", "stage")
    folder = history_folder(plan)
    snapshots = list_snapshots(folder)
    missing: list[Missing] = []
    previous, label = None, ""
    if snapshots:
        last = last_snapshot(snapshots, session)
        previous, label = snapshot_matrix(last, matrix), last.label
    else:
        missing.append(Missing(Part.CHANGE, f"needs snapshots: {folder} holds none; run `abm-tui run {plan.source}` "
                                            "to keep one"))
    review = None
    try:
        review = review_plan(plan)
    except AbmError as err:
        reason = f"needs two snapshots on different dates ({err})"
        missing += [Missing(Part.SIZES, reason), Missing(Part.CONVERSION, reason)]
    icp = None
    try:
        icp = gather(session, outcome)
    except AbmError as err:
        missing.append(Missing(Part.ICP, f"needs outcomes ({err})"))
    return DeckData(plan.name, str(plan.source), session.as_of.isoformat(), matrix, previous, label, review, icp,
                    plays_per_cell(session), tuple(missing))


def last_snapshot(snapshots: tuple[Snapshot, ...], session: Session) -> Snapshot:
    """The newest snapshot dated before the plan's as-of date (last week's run, when today's is already kept), or
    the newest of all when every one is of that date."""
    earlier = [s for s in snapshots if s.as_of < session.as_of]
    return (earlier or list(snapshots))[-1]


def snapshot_matrix(snapshot: Snapshot, like: Matrix) -> Matrix:
    """The snapshot's accounts per tier and stage, on `like`'s rows and columns (labels the plan no longer has are
    left out: the heat map shows today's plan)."""
    snapshot_schema(snapshot, ("tier", "stage"))
    counts = snapshot.scan().group_by("tier", "stage").len().collect()
    values = np.zeros_like(like.values)
    for tier, stage, accounts in counts.iter_rows():
        if tier in like.rows and stage in like.cols:
            values[like.rows.index(tier), like.cols.index(stage)] = accounts
    return Matrix(like.row_dim, like.col_dim, like.rows, like.cols, values, like.measure)


def plays_per_cell(session: Session) -> pl.DataFrame:
    """Per Tier x Stage cell, each play its accounts get and how many, from the assignments `abm-tui run` exports,
    in the plan's tier and stage order."""
    frame = session.assignments()
    tiers, stages = session.assignment().tier_labels, session.assignment().stage_labels
    columns = [c for c in ("campaign", "cta", "sales_action") if c in frame.columns]
    return (
        frame.group_by("tier", "stage", "play", *columns).agg(pl.len().cast(pl.Int64).alias("accounts"))
        .sort(pl.col("tier").cast(pl.Enum(tiers)), pl.col("stage").cast(pl.Enum(stages)),
              pl.col("accounts"), descending=[False, False, True])
    )
