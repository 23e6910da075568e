"""The run history: one dated Parquet snapshot of every account's segment per `abm-tui run`.

Segments are living lists, so the weekly run keeps what each account looked like that week: its
segment, the CRM outcome columns (for the quarterly review) and the values its rules read (so a
later diff can say which one changed). The folder is append-only: a run adds a file and never
replaces or edits one, and the plan that made each snapshot travels inside it, so a snapshot still
explains itself after the plan has moved on.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from abm_tui.engine.features import PASSIVE_CHANNELS
from abm_tui.engine.segment import DERIVED
from abm_tui.errors import AbmError, PlanError, first_line
from abm_tui.files import locked, write_new
from abm_tui.ingest.cleaning import as_date
from abm_tui.plan import rules
from abm_tui.plan.dump import dumps_plan, plan_hash
from abm_tui.plan.model import NOT_TARGET, UNCLASSIFIED, UNSTAGED, Plan
from abm_tui.plan.parse import loads_plan
from abm_tui.version import __version__

if TYPE_CHECKING:
    from abm_tui.session import Session

SNAPSHOT_FORMAT = 1
META_KEY = "abm_tui.snapshot"
SEGMENT_COLUMNS = ("account_id", "name", "domain", "fit_score", "tier", "stage", "bucket", "segment", "play")
# What the quarterly review reads: the CRM's own word for where each account is, and what it is worth.
OUTCOME_COLUMNS: dict[str, pl.DataType] = {
    "crm_stage": pl.String(), "opportunity_amount": pl.Float64(), "close_date": pl.Date(),
}
ENGAGEMENT_COLUMNS: dict[str, pl.DataType] = {
    "engagement_recent": pl.Float64(), "engagement_window": pl.Float64(), "days_since_engaged": pl.Int32(),
    "first_engaged": pl.Date(), "last_engaged": pl.Date(), "last_channel": pl.String(),
}
SUFFIX = ".parquet"


@dataclass(frozen=True)
class Snapshot:
    """One file of the history, with what its metadata says about the run that wrote it."""

    path: Path
    as_of: dt.date
    plan_name: str
    plan_hash: str
    plan_text: str
    taken_at: str
    tiers: tuple[str, ...]
    stages: tuple[str, ...]
    buckets: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.as_of.isoformat()} ({self.path.name})"

    def scan(self) -> pl.LazyFrame:
        return pl.scan_parquet(self.path, glob=False)

    def plan(self) -> Plan | None:
        """The plan as it was, or None when this abm-tui cannot read it (a newer format)."""
        try:
            return loads_plan(self.plan_text, source=f"{self.path} (plan inside)")
        except PlanError:
            return None


def history_folder(plan: Plan) -> Path:
    return plan.resolve(plan.history.folder)


# --- taking a snapshot ----------------------------------------------------------------------


def snapshot_frame(session: Session, assignments: pl.DataFrame, plan: Plan | None = None) -> pl.DataFrame:
    """One row per account: its segment, outcomes, engagement dates and every column the plan's rules read.

    `assignments` are `session.assignments(plan)`; `plan` defaults to the session's current one.
    """
    plan = plan or session.plan
    table = session.engine.frame(plan)
    outcomes = [_outcome(table, name, dtype) for name, dtype in OUTCOME_COLUMNS.items()]
    frame = assignments.select(SEGMENT_COLUMNS).with_columns(*outcomes, *_engagement(session, table))
    inputs = sorted(set().union(*rules.section_columns(plan).values()) - set(frame.columns) - set(DERIVED))
    return frame.hstack([table.get_column(c) for c in inputs if c in table.columns])


def _outcome(table: pl.DataFrame, name: str, dtype: pl.DataType | type[pl.DataType]) -> pl.Series:
    """The CRM column as the review reads it; absent or unreadable values are empty, never an error."""
    if name not in table.columns:
        return pl.Series(name, [None] * table.height, dtype=dtype)
    column = table.get_column(name)
    return as_date(column) if dtype == pl.Date else column.cast(dtype, strict=False)


def _engagement(session: Session, table: pl.DataFrame) -> list[pl.Series]:
    """Scores, recency and the first and last active engagement (ad impressions are exposure, not engagement)."""
    events = session.workspace.dataset.events
    size = table.height
    if events is None:
        return [pl.Series(name, [None] * size, dtype=dtype) for name, dtype in ENGAGEMENT_COLUMNS.items()]
    active = events.lazy().with_columns(pl.col("channel").cast(pl.String).alias("_channel")).filter(
        (pl.col("date") <= session.as_of)
        & pl.col("_channel").is_not_null()
        & ~pl.col("_channel").is_in(PASSIVE_CHANNELS)
    )
    dates = (
        active.group_by("_row")
        .agg(
            pl.col("date").min().alias("first_engaged"),
            pl.col("date").max().alias("last_engaged"),
            # ties on the last day go to the channel first in name order, so every run says the same
            pl.col("_channel").sort_by("date", "_channel", descending=[False, True]).last().alias("last_channel"),
        )
    )
    spread = (
        pl.LazyFrame({"_row": pl.int_range(size, dtype=pl.UInt32, eager=True)})
        .join(dates.with_columns(pl.col("_row").cast(pl.UInt32)), on="_row", how="left", maintain_order="left")
        .drop("_row")
        .collect()
    )
    scores = [table.get_column(name).cast(ENGAGEMENT_COLUMNS[name])
              for name in ("engagement_recent", "engagement_window", "days_since_engaged")]
    return [*scores, *spread.get_columns()]


def _metadata(plan: Plan, as_of: dt.date) -> dict[str, str]:
    meta = {
        "format": SNAPSHOT_FORMAT, "as_of": as_of.isoformat(), "plan_name": plan.name, "plan_hash": plan_hash(plan),
        "plan": dumps_plan(plan), "taken_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "abm_tui": __version__,
        "tiers": [t.name for t in plan.tiers] + [NOT_TARGET],
        "stages": [s.name for s in plan.stages] + [UNSTAGED],
        "buckets": [b.name for b in plan.buckets] + [UNCLASSIFIED],
    }
    return {META_KEY: json.dumps(meta)}


@dataclass(frozen=True)
class Pending:
    """This run's snapshot before it is written, and the history around it: what `keep` will add, worked out
    first so that a run writes its snapshot only once every other file of the run is in place."""

    folder: Path
    frame: pl.DataFrame
    plan: Plan
    as_of: dt.date
    label: str  # as the snapshot's own label will read
    held_by: Snapshot | None  # an identical snapshot of the same date already there: nothing will be added
    previous: Snapshot | None  # the snapshot this run is compared with
    notes: tuple[str, ...]

    def keep(self) -> Snapshot:
        """Write the snapshot under the next free name, unless the history already holds this run."""
        return self.held_by if self.held_by is not None else write_snapshot(self.folder, self.frame, self.plan,
                                                                             self.as_of)


def pending(session: Session, assignments: pl.DataFrame) -> Pending:
    """What keeping this run's snapshot in the plan's history folder will do; nothing is written.

    A second run on the same as-of date that finds nothing changed adds nothing, so a retried
    scheduler job does not fill the folder; if anything did change it is kept beside the first.
    The folder is read here, so hold `locked(folder)` until `keep()` for two runs at once to agree.
    """
    plan, as_of = session.plan, session.as_of
    folder = history_folder(plan)
    existing = list_snapshots(folder)
    frame = snapshot_frame(session, assignments)
    same_day = [s for s in existing if s.as_of == as_of]
    if same_day and same_day[-1].plan_hash == plan_hash(plan) and same_day[-1].scan().collect().equals(frame):
        before = [s for s in existing if s.as_of < as_of]
        note = f"history: {same_day[-1].path} already holds this run (same plan, same segments); nothing added"
        return Pending(folder, frame, plan, as_of, same_day[-1].label, same_day[-1], before[-1] if before else None,
                       (note,))
    name = next(path for path in _names(folder, as_of) if not path.exists())
    before = [s for s in existing if s.as_of <= as_of]
    notes = [f"history: kept {name}"]
    if existing and existing[-1].as_of > as_of:
        notes.append(f"history: as_of {as_of} is earlier than the newest snapshot ({existing[-1].label}); "
                     "kept beside it, nothing replaced (is the plan's as_of pinned?)")
    return Pending(folder, frame, plan, as_of, f"{as_of.isoformat()} ({name.name})", None,
                   before[-1] if before else None, tuple(notes))


def keep(session: Session, assignments: pl.DataFrame) -> Snapshot:
    """Add this run's snapshot to the plan's history folder, never touching the files already there."""
    folder = history_folder(session.plan)
    with locked(folder):
        return pending(session, assignments).keep()


def _names(folder: Path, as_of: dt.date) -> Iterator[Path]:
    """`2026-11-20.parquet`, then `2026-11-20.2.parquet` for a second, different run that day, and so on."""
    return (folder / f"{as_of.isoformat()}{'' if n == 1 else f'.{n}'}{SUFFIX}" for n in itertools.count(1))


def write_snapshot(folder: Path, frame: pl.DataFrame, plan: Plan, as_of: dt.date) -> Snapshot:
    """Write `frame` (as `snapshot_frame` builds it) under the next free name for its date: `2026-11-20.parquet`,
    then `2026-11-20.2.parquet` for a second, different run that day. Nothing is ever replaced."""
    meta = _metadata(plan, as_of)
    path = write_new(_names(folder, as_of), lambda tmp: frame.write_parquet(tmp, compression="zstd", metadata=meta))
    return read_snapshot(path)


# --- reading the history ----------------------------------------------------------------------

_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.parquet")


def list_snapshots(folder: Path) -> tuple[Snapshot, ...]:
    """The folder's snapshots, oldest first (by as-of date, then the order they were taken); other files are ignored."""
    if not folder.is_dir():
        return ()
    named = []
    for path in folder.iterdir():
        match = _NAME.fullmatch(path.name)
        if match:
            named.append((match.group(1), int(match.group(2) or 1), path))
    return tuple(read_snapshot(path) for *_, path in sorted(named))


def read_snapshot(path: Path) -> Snapshot:
    """A snapshot's metadata, or a one-line AbmError naming the file and what is wrong with it."""
    if not path.is_file():
        raise AbmError(f"{path}: no such snapshot file")
    try:
        raw = pl.read_parquet_metadata(path).get(META_KEY)
    except (OSError, pl.exceptions.PolarsError) as err:
        raise AbmError(f"{path}: not a Parquet file, or one cut short ({first_line(err)})") from err
    if raw is None:
        raise AbmError(f"{path}: not an abm-tui snapshot (it has no {META_KEY} metadata; snapshots are written by "
                       "abm-tui run)")
    meta = _metadata_of(path, raw)
    try:
        as_of = dt.date.fromisoformat(meta["as_of"])
    except ValueError:
        raise AbmError(f"{path}: the snapshot metadata is damaged (as_of is {meta['as_of']!r}; expected a date "
                       "such as 2026-11-20)") from None
    return Snapshot(
        path, as_of, meta["plan_name"], meta["plan_hash"], meta["plan"], meta["taken_at"], tuple(meta["tiers"]),
        tuple(meta["stages"]), tuple(meta["buckets"]),
    )


# Each entry of a snapshot's metadata, and what it holds (see `_metadata`).
_META_TEXT = ("as_of", "plan_name", "plan_hash", "plan", "taken_at")
_META_NAMES = ("tiers", "stages", "buckets")


def _metadata_of(path: Path, raw: str) -> dict[str, Any]:
    """The metadata as `_metadata` writes it, or a one-line AbmError naming the entry that is not."""
    try:
        meta = json.loads(raw)
    except ValueError as err:
        raise AbmError(f"{path}: the snapshot metadata is damaged (not JSON: {err})") from err
    if not isinstance(meta, dict):
        raise AbmError(f"{path}: the snapshot metadata is damaged (a JSON {type(meta).__name__}; expected an object)")
    if "format" not in meta:
        raise AbmError(f"{path}: the snapshot metadata is damaged (it has no format entry)")
    version = meta["format"]
    if version != SNAPSHOT_FORMAT:
        raise AbmError(f"{path}: snapshot format {version!r}, but this abm-tui reads format {SNAPSHOT_FORMAT}"
                       + ("; upgrade abm-tui" if isinstance(version, int) and version > SNAPSHOT_FORMAT else ""))
    missing = [key for key in (*_META_TEXT, *_META_NAMES) if key not in meta]
    if missing:
        raise AbmError(f"{path}: the snapshot metadata is damaged (it has no {missing[0]} entry)")
    for key in _META_TEXT:
        if not isinstance(meta[key], str):
            raise AbmError(f"{path}: the snapshot metadata is damaged ({key} is {meta[key]!r}; expected text)")
    for key in _META_NAMES:
        names = meta[key]
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise AbmError(f"{path}: the snapshot metadata is damaged ({key} is {names!r}; expected a list of names)")
    return meta
