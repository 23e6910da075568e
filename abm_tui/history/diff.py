"""`abm-tui diff A B`: what moved between two snapshots, a snapshot and the plan now, or two plans.

Each side is a file the planner already has: a snapshot from the history folder (`.parquet`) or a
plan (`.toml`). Two plans are compared on the second plan's data, so the movement is the rules'
doing and nothing else; a snapshot and a plan show what moved since that week.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from abm_tui.errors import AbmError
from abm_tui.history.movement import Movement, compare
from abm_tui.history.review import read_snapshot_frame, snapshot_schema
from abm_tui.history.snapshots import Snapshot, read_snapshot, snapshot_frame
from abm_tui.plan.changes import Change, plan_changes
from abm_tui.plan.model import FLOW_DIMENSIONS, Plan
from abm_tui.plan.parse import load_plan
from abm_tui.plan.validate import check_plan
from abm_tui.session import Session, build_workspace, data_key

PLAN_SUFFIX, SNAPSHOT_SUFFIX = ".toml", ".parquet"


@dataclass(frozen=True)
class Diff:
    movement: Movement
    changes: tuple[Change, ...]  # the rule-level differences between the two sides' plans
    notes: tuple[str, ...]


def _quiet(_: str) -> None:
    """The default progress: say nothing."""


def diff(a: Path, b: Path, progress: Callable[[str], None] = _quiet) -> Diff:
    kinds = (_kind(a, "A"), _kind(b, "B"))
    if kinds == ("plan", "snapshot"):
        raise AbmError(f"{a} is a plan and {b} a snapshot: give the snapshot first (abm-tui diff {b} {a} shows what "
                       "moved since that snapshot)")
    if kinds == ("plan", "plan"):
        return _plans(a, b, progress)
    earlier = read_snapshot(a)
    if kinds == ("snapshot", "snapshot"):
        later = read_snapshot(b)
        _in_order(earlier, later.as_of, b)
        progress("comparing the snapshots")
        return between(earlier, later)
    progress(f"segmenting {b}")
    session = Session.open(b, progress)
    _in_order(earlier, session.as_of, b)
    return since(session, earlier)


def between(earlier: Snapshot, later: Snapshot) -> Diff:
    """Two snapshots of the history, each with the plan that made it."""
    return compare_sides(checked_frame(earlier), checked_frame(later), (earlier.label, later.label),
                         (earlier.plan(), later.plan()), ())


def since(session: Session, snapshot: Snapshot | None) -> Diff:
    """The session's plan now against a snapshot, or against the session's baseline plan (None) on the same data."""
    plan = session.plan
    now = snapshot_frame(session, session.assignments())
    label = f"now (as of {session.as_of})"
    if snapshot is None:
        base = session.baseline
        return compare_sides(snapshot_frame(session, session.assignments(base), base), now, ("baseline plan", label),
                         (base, plan), ())
    return compare_sides(checked_frame(snapshot), now, (snapshot.label, label), (snapshot.plan(), plan), ())


def checked_frame(snapshot: Snapshot) -> pl.DataFrame:
    """The snapshot as a side of a comparison, or one message naming the file and what it lacks: the columns
    and kinds every run writes, one row per account, and the columns its own plan's rules read, of their kind."""
    schema = snapshot_schema(snapshot, ("account_id", *FLOW_DIMENSIONS))
    plan = snapshot.plan()
    problems = check_plan(plan, schema, set()) if plan is not None else []
    if problems:
        raise AbmError(f"{snapshot.path}: the snapshot does not fit the plan inside it ({problems[0]}); was the file "
                       "edited?")
    frame = read_snapshot_frame(snapshot)
    ids = frame.get_column("account_id")
    blank = ids.null_count()
    if blank:
        rows = "1 row of the snapshot has" if blank == 1 else f"{blank:,} rows of the snapshot have"
        raise AbmError(f"{snapshot.path}: {rows} no account_id; expected one on every row (was the file edited?)")
    repeated = ids.filter(ids.is_duplicated())
    if repeated.len():
        first = repeated[0]
        raise AbmError(f"{snapshot.path}: account_id {first!r} is on {(repeated == first).sum()} rows of the "
                       "snapshot; expected one row per account (was the file edited?)")
    return frame


def _kind(path: Path, which: str) -> str:
    suffix = path.suffix.lower()
    if suffix == PLAN_SUFFIX:
        return "plan"
    if suffix == SNAPSHOT_SUFFIX:
        return "snapshot"
    raise AbmError(f"{path}: expected a plan (.toml) or a snapshot (.parquet from a plan's history folder) as {which}")


def _in_order(earlier: Snapshot, later: dt.date, later_path: Path) -> None:
    if earlier.as_of > later:
        raise AbmError(f"{earlier.path} (as of {earlier.as_of}) is newer than {later_path} (as of {later}); "
                       "give the earlier one first")


def _plans(a: Path, b: Path, progress: Callable[[str], None]) -> Diff:
    """Both plans on B's data: the same accounts and events, so only the rules differ."""
    before_plan, after_plan = load_plan(a), load_plan(b)
    notes = []
    if data_key(before_plan) != data_key(after_plan):
        notes.append(f"{a} reads other data files than {b}; both plans are compared on {b}'s data")
    before_plan = replace(before_plan, data=after_plan.data, base_dir=after_plan.base_dir)
    progress(f"segmenting {b}")
    after = Session.open(after_plan, progress)
    progress(f"segmenting {a} on the same data")
    before = Session(before_plan, build_workspace(after.workspace.dataset, before_plan))
    labels = (f"{a.name} ({before_plan.name})", f"{b.name} ({after_plan.name})")
    return compare_sides(snapshot_frame(before, before.assignments()), snapshot_frame(after, after.assignments()),
                     labels, (before_plan, after_plan), tuple(notes))


def compare_sides(before: pl.DataFrame, after: pl.DataFrame, labels: tuple[str, str],
                  plans: tuple[Plan | None, Plan | None], notes: tuple[str, ...]) -> Diff:
    """The movement between two snapshot-shaped frames, with their plans' changes in words."""
    first, second = plans
    changes = plan_changes(first, second) if first is not None and second is not None else ()
    if first is None or second is None:
        notes += ("a snapshot's plan could not be read (a newer plan format?); reasons name changed values only",)
    movement = compare(before, after, labels, plans, tuple((c.section, c.rule, c.text) for c in changes))
    return Diff(movement, changes, notes)
