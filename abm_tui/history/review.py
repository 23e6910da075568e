"""The quarterly review: which groups grew, moved forward and converted over a period of the run history.

Planners rebalance each quarter on what actually converted, so the review follows a cohort (the
accounts in each group at the start, wherever they went afterwards) through the snapshots that
`abm-tui run` keeps, one per run. Outcomes come from the CRM columns each snapshot kept
(`crm_stage`, `opportunity_amount`, `close_date`): the numbers are what the CRM said on each run's
date, not what it says today.

Definitions (what the planning deck quotes):

- Period. The end snapshot is the newest on or before `--to` (default: the newest snapshot). The
  start snapshot is the newest on or before `--from`, or the oldest snapshot when none is that old
  (a note says so). Without `--from` it is the oldest snapshot in the 91 days before the end, or
  the newest one before the end when none is that recent (a note says so).
- Groups: segment (tier / stage), tier, stage, bucket or play, each as its own snapshot assigned it,
  listed in the end snapshot's plan order (segments as tier x stage; plays by size at the end),
  followed by groups that plan no longer has. Only groups holding accounts in some snapshot of the
  period are listed; the last row, "All accounts", counts everyone.
- Cohort: the accounts in the group in the start snapshot. `accounts_at_start` is its size;
  `accounts_at_end` counts the accounts in the group in the end snapshot (newcomers in, leavers out).
- progressed: cohort accounts whose stage at the end is more advanced (earlier in the end plan's
  stage order) than at the start, not counting the accounts that were lost.
- opened: cohort accounts with no open opportunity at the start that show `open_opportunity` in a
  later snapshot up to the end, or that were won or lost by the end.
- won: `crm_stage` closed_won or customer at the end but not at the start. lost: closed_lost or
  churned at the end but not at the start. Other CRM words count as no opportunity (a note lists them).
- pipeline and won_amount: the sum of each account's latest `opportunity_amount` up to the end,
  over the opened and over the won.
- conversion_rate = opened / accounts_at_start; win_rate = won / (won + lost), empty when none closed.
- median_days_to_opportunity: over the opened accounts with a `first_engaged` date, the median of the
  days from it to the date the opportunity was first seen (the as-of date of the first later
  snapshot showing it open, won or lost, or its `close_date` when that is earlier).
- flag (on groups, not the total): "neither grew nor converted" when accounts_at_end <= accounts_at_start
  and nothing was opened or won.
- lift = conversion_rate / the conversion_rate of all accounts (the base rate), empty when either is.
- below_not_target: by tier, whether a target tier converts worse than Not target (the accounts the plan
  does not target at all, which a target tier should beat); by segment, whether "Tier / Stage" converts
  worse than "Not target / Stage". Empty where there is nothing to compare (either conversion unknown, Not
  target itself, the total, and every group by stage, bucket or play). These two columns come last, after
  `flag`, so the CSV only gains columns.
- When `crm_stage` is empty in the start or end snapshot (the accounts export had no CRM stage), the
  outcome numbers are empty rather than zero, there is no flag, and the review shows sizes and stage
  progress only; an empty `opportunity_amount` empties pipeline and won_amount the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from abm_tui.engine.segment import BLANK
from abm_tui.errors import AbmError, first_line, nearest
from abm_tui.files import csv_text, guard_inputs, writable_folder, write_text
from abm_tui.history.snapshots import (
    ENGAGEMENT_COLUMNS,
    OUTCOME_COLUMNS,
    SEGMENT_COLUMNS,
    Snapshot,
    history_folder,
    list_snapshots,
)
from abm_tui.ingest.presets import LOST, WON, CrmStage
from abm_tui.plan.dump import plan_hash
from abm_tui.plan.model import FLOW_DIMENSIONS, NOT_TARGET, Plan

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

DIMENSIONS = FLOW_DIMENSIONS  # one row per segment, tier, stage, bucket or play
TOTAL = "All accounts"
FLAG = "neither grew nor converted"
BELOW = "converts below Not target"
DEFAULT_DAYS = 91
KNOWN_CRM = tuple(CrmStage)
COUNTS = ("accounts_at_start", "accounts_at_end", "progressed", "opened", "won", "lost")
AMOUNTS = ("pipeline", "won_amount")
OUTCOMES = ("opened", "won", "lost", *AMOUNTS, "conversion_rate", "win_rate", "median_days_to_opportunity")
BLOCKS = "▁▂▃▄▅▆▇█"
_REQUIRED = ("account_id", "stage")
_OPTIONAL = {**OUTCOME_COLUMNS, "first_engaged": ENGAGEMENT_COLUMNS["first_engaged"]}


@dataclass(frozen=True)
class Review:
    """The review of one period, grouped `by` one dimension; `notes` say what the numbers cannot."""

    by: str
    start: Snapshot
    end: Snapshot
    snapshots: tuple[Snapshot, ...]
    table: pl.DataFrame
    sizes: pl.DataFrame
    notes: tuple[str, ...]


def review(snapshots: Sequence[Snapshot], start: dt.date | None = None, end: dt.date | None = None,
           by: str = "segment") -> Review:
    """The review of `snapshots` (a history folder's, as `list_snapshots` gives them) between two dates."""
    if by not in DIMENSIONS:
        raise AbmError(f"review by {by!r}: expected one of {', '.join(DIMENSIONS)}{nearest(by, DIMENSIONS)}")
    period, notes = _period(snapshots, start, end)
    schemas = [snapshot_schema(snap, (*_REQUIRED, by)) for snap in period]
    columns = _size_columns(period)
    queries = [
        _cohort(period, schemas, by),
        _crm_words(period[0], schemas[0]),
        _crm_words(period[-1], schemas[-1]),
        *(_counts(snap, by, name) for snap, name in zip(period, columns, strict=True)),
    ]
    try:
        cohort, start_words, end_words, *counts = pl.collect_all(queries)
    except (OSError, pl.exceptions.PolarsError) as err:
        for snap in period:  # which one: read each whole, only now that one of them failed
            read_snapshot_frame(snap)
        raise AbmError(f"{_folder(period)}: could not read the snapshots ({first_line(err)})") from err
    outcomes = _outcome_notes(period, start_words, end_words, cohort)
    sizes = _sizes(counts, columns, by, period[-1])
    table = _against_base(_table(cohort, sizes, columns, outcomes.known, outcomes.amounts), by, period[-1])
    notes += _plan_notes(period) + _unplanned_notes(by, period[-1], sizes) + outcomes.notes
    return Review(by, period[0], period[-1], period, table, sizes, notes)


# --- the period -----------------------------------------------------------------------------------


def _period(snapshots: Sequence[Snapshot], start: dt.date | None,
            end: dt.date | None) -> tuple[tuple[Snapshot, ...], tuple[str, ...]]:
    """The snapshots from the start one to the end one, and a note when the start had to be moved."""
    if start is not None and end is not None and start > end:
        raise AbmError(f"--from {start} is after --to {end}")
    ordered = sorted(snapshots, key=lambda snap: snap.as_of)  # stable: same-day runs keep the order taken
    folder = _folder(ordered)
    if len(ordered) < 2:
        held = f"only one snapshot ({ordered[0].label})" if ordered else "no snapshots"
        raise AbmError(f"{folder}: the history holds {held}, and the review compares two; `abm-tui run` keeps one "
                       "snapshot per run, so run it again on a later date")
    last = _last_on_or_before(ordered, end) if end is not None else len(ordered) - 1
    if last is None:
        raise AbmError(f"{folder}: no snapshot on or before --to {end} (the oldest is {ordered[0].label})")
    first, notes = _start_index(ordered, last, start)
    if first >= last:
        asked = "".join(f" {flag} {day}" for flag, day in (("--from", start), ("--to", end)) if day is not None)
        raise AbmError(f"{folder}: only one snapshot ({ordered[last].label}) falls in the period{asked}, "
                       "and the review compares two; widen the period (`abm-tui run` keeps one snapshot per run)")
    return tuple(ordered[first:last + 1]), notes


def _start_index(ordered: list[Snapshot], last: int, start: dt.date | None) -> tuple[int, tuple[str, ...]]:
    if start is not None:
        first = _last_on_or_before(ordered, start)
        if first is not None:
            return first, ()
        return 0, (f"no snapshot on or before --from {start}: the review starts at the oldest, {ordered[0].label}",)
    since = ordered[last].as_of - dt.timedelta(days=DEFAULT_DAYS)
    first = next(i for i, snap in enumerate(ordered) if snap.as_of >= since)
    if first < last or last == 0:
        return first, ()
    return last - 1, (f"no snapshot in the {DEFAULT_DAYS} days before {ordered[last].label}: the review starts at "
                      f"the newest earlier one, {ordered[last - 1].label}",)


def _last_on_or_before(ordered: list[Snapshot], day: dt.date) -> int | None:
    indexes = [i for i, snap in enumerate(ordered) if snap.as_of <= day]
    return indexes[-1] if indexes else None


def _folder(snapshots: Sequence[Snapshot]) -> Path | str:
    return snapshots[0].path.parent if snapshots else "the history folder"


def _size_columns(period: Sequence[Snapshot]) -> list[str]:
    """Each snapshot's as-of date; a second run on the same date gets `.2`, as its file name does."""
    names: list[str] = []
    for snap in period:
        day = snap.as_of.isoformat()
        repeat = sum(name.split(".")[0] == day for name in names)
        names.append(day if not repeat else f"{day}.{repeat + 1}")
    return names


# --- reading the snapshots ------------------------------------------------------------------------


def _holds(dtype: PolarsDataType) -> str:
    """A column's kind in the words the messages use."""
    if isinstance(dtype, pl.List | pl.Array):
        return "lists"
    if dtype == pl.Boolean:
        return "true/false values"
    if dtype.is_numeric():
        return "numbers"
    if dtype.is_temporal():
        return "dates"
    return "text" if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum) else str(dtype)


# The kind of every column `abm-tui run` writes into a snapshot (`snapshots.snapshot_frame`): an edited file that
# changed one is named, rather than read as something else or met later as a Polars error.
SHAPE = {
    **{name: "numbers" if name == "fit_score" else "text" for name in SEGMENT_COLUMNS},
    **{name: _holds(dtype) for name, dtype in {**OUTCOME_COLUMNS, **ENGAGEMENT_COLUMNS}.items()},
}


def snapshot_schema(snap: Snapshot, required: Sequence[str]) -> pl.Schema:
    """The snapshot's columns, checked as review and diff need them: each of `required` there, and every column
    `abm-tui run` writes of the kind it writes (a column left empty is fine: CRM columns often are)."""
    try:
        schema = snap.scan().collect_schema()
    except (OSError, pl.exceptions.PolarsError) as err:
        raise AbmError(f"{snap.path}: could not read the snapshot ({first_line(err)})") from err
    for name in dict.fromkeys(required):
        if name not in schema:
            raise AbmError(f"{snap.path}: the snapshot has no {name} column (every snapshot `abm-tui run` writes has "
                           "one; was the file edited?)")
    for name, dtype in schema.items():
        expected = SHAPE.get(name)
        if expected is not None and dtype != pl.Null and _holds(dtype) != expected:
            raise AbmError(f"{snap.path}: the snapshot's {name} column holds {_holds(dtype)}; expected {expected}, "
                           "as in every snapshot `abm-tui run` writes (was the file edited?)")
    return schema


def read_snapshot_frame(snap: Snapshot) -> pl.DataFrame:
    """The whole snapshot; a damaged page or a cut file is one message naming it."""
    try:
        return snap.scan().collect()
    except (OSError, pl.exceptions.PolarsError) as err:
        raise AbmError(f"{snap.path}: the snapshot is damaged and cannot be read ({first_line(err)}); expected the "
                       "file as `abm-tui run` wrote it") from err


def _optional(schema: pl.Schema, name: str) -> pl.Expr:
    """An outcome column as the review reads it, or an empty one when an older snapshot lacks it."""
    dtype = _OPTIONAL[name]
    if name not in schema:
        return pl.lit(None, dtype).alias(name)
    column = pl.col(name).cast(dtype, strict=False)
    return column.fill_nan(None) if dtype == pl.Float64 else column


def _group(by: str) -> pl.Expr:
    return pl.col(by).cast(pl.String).fill_null(BLANK).alias("group")


def _counts(snap: Snapshot, by: str, name: str) -> pl.LazyFrame:
    return snap.scan().group_by(_group(by)).agg(pl.len().cast(pl.Int64).alias(name))


def _crm_words(snap: Snapshot, schema: pl.Schema) -> pl.LazyFrame:
    """How many accounts carry each crm_stage word: tells an empty column and words the review does not read."""
    return snap.scan().select(_optional(schema, "crm_stage")).group_by("crm_stage").len()


def _opportunities(period: Sequence[Snapshot], schemas: Sequence[pl.Schema]) -> pl.LazyFrame:
    """Per account, what the snapshots say about its opportunity: when first seen, latest amount and close date.

    Rows that say nothing are dropped before grouping. Within a group the rows keep the snapshots'
    order, so `last` is the latest value.
    """
    rows = pl.concat([
        snap.scan().select(
            "account_id", *(_optional(schema, c) for c in ("crm_stage", "opportunity_amount", "close_date")),
            pl.lit(i > 0).alias("_later"), pl.lit(snap.as_of).alias("_as_of"),
        )
        for i, (snap, schema) in enumerate(zip(period, schemas, strict=True))
    ])
    later = pl.col("_later")
    shows = pl.col("crm_stage").is_in((CrmStage.OPEN, *WON, *LOST)).fill_null(False)
    return (
        rows.filter(pl.col("opportunity_amount").is_not_null() | (later & (shows | pl.col("close_date").is_not_null())))
        .group_by("account_id")
        .agg(
            pl.col("_as_of").filter(later & shows).min().alias("first_seen"),
            (later & (pl.col("crm_stage") == CrmStage.OPEN).fill_null(False)).any().alias("was_open"),
            pl.col("opportunity_amount").drop_nulls().last().alias("amount"),
            pl.col("close_date").filter(later).drop_nulls().last().alias("close_date"),
        )
    )


def _cohort(period: Sequence[Snapshot], schemas: Sequence[pl.Schema], by: str) -> pl.LazyFrame:
    """One row per account of the start snapshot: its group, and what became of it by the end."""
    start, end = period[0], period[-1]
    first = start.scan().select(
        "account_id", _group(by), pl.col("stage").cast(pl.String).alias("stage_start"),
        _optional(schemas[0], "crm_stage").alias("crm_start"),
        _optional(schemas[0], "first_engaged").alias("engaged_start"),
    )
    last = end.scan().select(
        "account_id", pl.col("stage").cast(pl.String).alias("stage_end"),
        _optional(schemas[-1], "crm_stage").alias("crm_end"),
        _optional(schemas[-1], "first_engaged").alias("engaged_end"),
    )
    joined = (
        first.join(last, on="account_id", how="left", maintain_order="left")
        .join(_opportunities(period, schemas), on="account_id", how="left", maintain_order="left")
    )
    return joined.select("group", "amount", *_fates(end.stages))


def _fates(stages: Sequence[str]) -> list[pl.Expr]:
    """Per account: progressed, opened, won, lost (booleans) and the days from first engagement to opportunity."""
    rank = {name: i for i, name in enumerate(stages)}

    def ranked(column: str) -> pl.Expr:
        return pl.col(column).replace_strict(rank, default=None, return_dtype=pl.Int32)

    def among(column: str, words: tuple[str, ...]) -> pl.Expr:
        return pl.col(column).is_in(words).fill_null(False)

    won = among("crm_end", WON) & ~among("crm_start", WON)
    lost = among("crm_end", LOST) & ~among("crm_start", LOST)
    was_open = (pl.col("crm_start") == CrmStage.OPEN).fill_null(False)
    seen = pl.min_horizontal("first_seen", "close_date")
    engaged = pl.min_horizontal("engaged_start", "engaged_end")
    return [
        (ranked("stage_end") < ranked("stage_start")).fill_null(False).alias("advanced"),
        (~was_open & (pl.col("was_open").fill_null(False) | won | lost)).alias("opened"),
        won.alias("won"),
        lost.alias("lost"),
        (seen - engaged).dt.total_days().alias("days"),
    ]


# --- outcomes and notes -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcomes:
    known: bool  # crm_stage has values at both ends of the period
    amounts: bool  # some cohort account has an opportunity_amount
    notes: tuple[str, ...]


def _outcome_notes(period: Sequence[Snapshot], start_words: pl.DataFrame, end_words: pl.DataFrame,
                   cohort: pl.DataFrame) -> _Outcomes:
    empty = [f"the {side} snapshot ({snap.label})"
             for side, snap, words in (("start", period[0], start_words), ("end", period[-1], end_words))
             if words.get_column("crm_stage").null_count() == words.height]
    if empty:
        return _Outcomes(False, False, (
            f"crm_stage is missing: it is empty in {' and '.join(empty)}, as when the accounts export has no CRM "
            "stage column, so opened, won, lost, pipeline, rates and days to opportunity are not shown; the review "
            "shows sizes and stage progress only",))
    notes: list[str] = []
    amounts = cohort.get_column("amount").null_count() < cohort.height
    if not amounts:
        notes.append("opportunity_amount is missing (empty for every account in the period): pipeline and won "
                     "amount are not shown")
    other = (end_words.filter(pl.col("crm_stage").is_not_null() & ~pl.col("crm_stage").is_in(KNOWN_CRM))
             .sort(["len", "crm_stage"], descending=[True, False]))
    if other.height:
        shown = ", ".join(f"{word!r} ({count:,})" for word, count in other.head(5).iter_rows())
        more = f" and {other.height - 5} more" if other.height > 5 else ""
        notes.append(f"crm_stage words the review does not read, counted as no opportunity (accounts at the end): "
                     f"{shown}{more}; map them to {', '.join(KNOWN_CRM)}")
    return _Outcomes(True, amounts, tuple(notes))


def _plan_notes(period: Sequence[Snapshot]) -> tuple[str, ...]:
    end = period[-1]
    notes: list[str] = []
    other = [snap for snap in period if snap.plan_name != end.plan_name]
    if other:
        names = ", ".join(repr(name) for name in dict.fromkeys(snap.plan_name for snap in other))
        notes.append(f"{len(other)} snapshot(s) of the period were made under another plan name ({names}: "
                     f"{', '.join(snap.label for snap in other)}) than the end snapshot's ({end.plan_name!r}); "
                     "groups are matched by name")
    versions = len({_rules_version(snap) for snap in period})
    if versions > 1:
        notes.append(f"the plan's rules changed during the period ({versions} versions): each snapshot's groups are "
                     "the ones its own plan assigned, and progress follows the end plan's stage order")
    return tuple(notes)


def _rules_version(snap: Snapshot) -> str:
    """The plan's hash leaving out its name and as_of: a weekly run with a pinned date is no new version."""
    plan = snap.plan()
    return snap.plan_hash if plan is None else plan_hash(dataclasses.replace(plan, name="", as_of=None))


def _unplanned_notes(by: str, end: Snapshot, sizes: pl.DataFrame) -> tuple[str, ...]:
    planned = _plan_order(by, end)
    if planned is None:
        return ()
    gone = [group for group in sizes.get_column("group").to_list() if group not in planned and group != TOTAL]
    if not gone:
        return ()
    return (f"{by} {', '.join(repr(g) for g in gone)} not in the end snapshot's plan (renamed or removed during the "
            "period): listed after the plan's own",)


# --- the tables -----------------------------------------------------------------------------------


def _plan_order(by: str, end: Snapshot) -> tuple[str, ...] | None:
    """The end plan's order for the dimension; None for plays, which are listed by size."""
    if by == "segment":
        return tuple(f"{tier} / {stage}" for tier in end.tiers for stage in end.stages)
    return {"tier": end.tiers, "stage": end.stages, "bucket": end.buckets}.get(by)


def _sizes(counts: Sequence[pl.DataFrame], columns: Sequence[str], by: str, end: Snapshot) -> pl.DataFrame:
    """Accounts per group in each snapshot of the period, groups in plan order, then the total."""
    seen = pl.concat([frame.select("group") for frame in counts]).unique()
    wide = seen
    for frame in counts:
        wide = wide.join(frame, on="group", how="left")
    wide = wide.with_columns(pl.col(columns).fill_null(0))
    planned = _plan_order(by, end)
    if planned is None:
        ordered = wide.sort([columns[-1], columns[0], "group"], descending=[True, True, False])
    else:
        position = {group: i for i, group in enumerate(planned)}
        ordered = wide.sort(pl.col("group").replace_strict(position, default=len(planned), return_dtype=pl.Int64),
                            "group")
    total = ordered.select(pl.lit(TOTAL).alias("group"), pl.col(columns).sum())
    return pl.concat([ordered, total])


def _table(cohort: pl.DataFrame, sizes: pl.DataFrame, columns: Sequence[str], known: bool,
           amounts: bool) -> pl.DataFrame:
    measures = _measures(known)
    per_group = cohort.group_by("group").agg(measures)
    total = cohort.select(pl.lit(TOTAL).alias("group"), *measures)
    table = (
        sizes.select("group", pl.col(columns[-1]).alias("accounts_at_end"))
        .join(pl.concat([per_group, total]), on="group", how="left", maintain_order="left")
        .with_columns(pl.col("accounts_at_start", "progressed", "opened", "won", "lost", *AMOUNTS).fill_null(0))
    )
    table = table.with_columns(
        _ratio(pl.col("opened"), pl.col("accounts_at_start")).alias("conversion_rate"),
        _ratio(pl.col("won"), pl.col("won") + pl.col("lost")).alias("win_rate"),
    )
    if not known:
        table = table.with_columns(pl.lit(None, table.schema[c]).alias(c) for c in OUTCOMES)
    elif not amounts:
        table = table.with_columns(pl.lit(None, pl.Float64).alias(c) for c in AMOUNTS)
    grew = pl.col("accounts_at_end") > pl.col("accounts_at_start")
    stalled = ~grew & (pl.col("opened") == 0) & (pl.col("won") == 0) & (pl.col("group") != TOTAL)
    table = table.with_columns(pl.when(stalled).then(pl.lit(FLAG)).otherwise(pl.lit("")).alias("flag"))
    return table.select("group", *COUNTS, *AMOUNTS, "conversion_rate", "win_rate", "median_days_to_opportunity",
                        "flag")


def _peers(by: str, end: Snapshot) -> dict[str, str]:
    """Each target group and the Not target group it must convert better than (see `below_not_target`)."""
    targets = [tier for tier in end.tiers if tier != NOT_TARGET]
    if by == "tier":
        return dict.fromkeys(targets, NOT_TARGET)
    if by == "segment":
        return {f"{tier} / {stage}": f"{NOT_TARGET} / {stage}" for tier in targets for stage in end.stages}
    return {}


def _against_base(table: pl.DataFrame, by: str, end: Snapshot) -> pl.DataFrame:
    """`lift` against all accounts' conversion, and `below_not_target`, appended after `flag`."""
    base = table.filter(pl.col("group") == TOTAL).get_column("conversion_rate").first()
    conversion = pl.col("conversion_rate")
    lift = conversion / base if isinstance(base, float) and base > 0 else pl.lit(None, pl.Float64)
    floors = table.select(pl.col("group").alias("_peer"), conversion.alias("_floor"))
    peer = pl.col("group").replace_strict(_peers(by, end), default=None, return_dtype=pl.String).alias("_peer")
    return (
        table.with_columns(lift.alias("lift"), peer)
        .join(floors, on="_peer", how="left", maintain_order="left")
        .with_columns(pl.when(pl.col("_floor").is_not_null()).then(conversion < pl.col("_floor"))
                      .alias("below_not_target"))
        .drop("_peer", "_floor")
    )


def _measures(known: bool) -> list[pl.Expr]:
    """The per-group sums; when outcomes are unknown, lost accounts cannot be told apart from progress."""
    advanced = pl.col("advanced") & ~pl.col("lost") if known else pl.col("advanced")
    return [
        pl.len().cast(pl.Int64).alias("accounts_at_start"),
        advanced.sum().cast(pl.Int64).alias("progressed"),
        *(pl.col(c).sum().cast(pl.Int64).alias(c) for c in ("opened", "won", "lost")),
        pl.col("amount").filter("opened").sum().alias("pipeline"),
        pl.col("amount").filter("won").sum().alias("won_amount"),
        pl.col("days").filter("opened").median().cast(pl.Float64).alias("median_days_to_opportunity"),
    ]


def _ratio(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    return pl.when(whole > 0).then(part / whole).otherwise(None).cast(pl.Float64)


# --- output ---------------------------------------------------------------------------------------


def sparkline(values: Sequence[float]) -> str:
    """One block per value, scaled from the series' low to its high, so a flat series reads as flat."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return BLOCKS[len(BLOCKS) // 2 - 1] * len(values)
    top = len(BLOCKS) - 1
    return "".join(BLOCKS[round((value - low) / (high - low) * top)] for value in values)


def review_csv(review: Review) -> str:
    """The table with raw numbers (rates as fractions, empty where unknown), headed by the dimension's name."""
    return csv_text(review.table.rename({"group": review.by}))


HEADERS = {
    "accounts_at_start": "At start", "accounts_at_end": "At end", "progressed": "Progressed", "opened": "Opened",
    "won": "Won", "lost": "Lost", "pipeline": "Pipeline", "won_amount": "Won amount",
    "conversion_rate": "Conversion", "win_rate": "Win rate", "median_days_to_opportunity": "Median days to opp.",
    "flag": "Flag", "lift": "Lift", "below_not_target": "Against Not target",
}
TEXT_COLUMNS = ("flag", "below_not_target")  # left-aligned in Markdown: words, not numbers


def review_markdown(review: Review) -> str:
    """The review for the planning deck: title, period, the table, sizes over time with a sparkline, notes."""
    start, end = review.start, review.end
    days = (end.as_of - start.as_of).days
    name = review.by.capitalize()
    lines = [
        f"# Quarterly review: {end.plan_name}",
        "",
        f"{start.as_of} to {end.as_of} ({days} days, {len(review.snapshots)} snapshots), by {review.by}. "
        f"Cohort: the accounts in each {review.by} on {start.as_of}; outcomes from the CRM columns of each snapshot.",
        "",
        *_markdown_table([name, *HEADERS.values()], [table_cells(row) for row in review.table.iter_rows(named=True)],
                         numeric=[i for i, column in enumerate(HEADERS, 1) if column not in TEXT_COLUMNS]),
        "",
        f"## {name} sizes over time",
        "",
    ]
    columns = review.sizes.columns[1:]
    rows = [[_escape(group), *(f"{v:,}" for v in values), sparkline(values)]
            for group, *values in review.sizes.iter_rows()]
    lines += _markdown_table([name, *columns, "Trend"], rows, numeric=range(1, len(columns) + 1))
    if review.notes:
        lines += ["", "Notes:", "", *(f"- {note}" for note in review.notes)]
    return "\n".join(lines) + "\n"


def table_cells(row: dict[str, object]) -> list[str]:
    """One row of the table as shown to people: counts with separators, rates as percentages, – for unknown."""
    group = _escape(str(row["group"]))
    cells = [f"**{group}**" if row["group"] == TOTAL else group]
    for column in HEADERS:
        value = row[column]
        if column == "flag":
            cells.append(str(value))
        elif column == "below_not_target":
            cells.append(BELOW if value else "")
        elif value is None:
            cells.append("–")
        elif column == "lift":
            cells.append(f"{value:.2f}")
        elif column.endswith("_rate"):
            cells.append(f"{value:.1%}")
        else:
            cells.append(f"{value:,.0f}")
    return cells


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: Collection[int]) -> list[str]:
    rule = ["---:" if i in numeric else "---" for i in range(len(header))]
    return [f"| {' | '.join(cells)} |" for cells in (header, rule, *rows)]


def _escape(text: str) -> str:
    return text.replace("|", "\\|")



# --- from a plan ----------------------------------------------------------------------------------

REVIEW_FILES = ("review.md", "review.csv")


def review_plan(plan: Plan, start: dt.date | None = None, end: dt.date | None = None,
                by: str = "segment") -> Review:
    """The review of the plan's own history folder; an empty folder is named, with how to fill it."""
    folder = history_folder(plan)
    snapshots = list_snapshots(folder)
    if not snapshots:
        raise AbmError(f"{folder}: no snapshots yet; each `abm-tui run {plan.source}` keeps one, so the review "
                       "needs two runs on different dates")
    return review(snapshots, start, end, by)


def write_review(review: Review, out_dir: Path, inputs: set[Path]) -> tuple[Path, Path]:
    """review.md and review.csv, atomically, never over one of the plan's inputs."""
    targets = [out_dir / name for name in REVIEW_FILES]
    guard_inputs(targets, inputs)
    writable_folder(out_dir)
    return write_text(targets[0], review_markdown(review)), write_text(targets[1], review_csv(review))
