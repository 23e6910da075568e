"""What moved between two segmentations, and why, in words a planner can paste into a chat.

Both sides are snapshot-shaped frames (see `history.snapshot_frame`): two weekly snapshots, a
snapshot and the plan now, or two plans on the same data. An account that changed tier, stage or
bucket gets one sentence per change, naming the values its rules read that changed ("pricing_page_visit
on 2026-11-18 moved it from Interested to Considering"; "no engagement for 34 days moved it from
Spiking to Stalled"), or the plan's own change when the data did not move it. Everything is Polars
expressions over the moved accounts only, so a diff of two 1M-account snapshots stays a join and a filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from abm_tui.engine.features import PERIODS
from abm_tui.engine.segment import Assignment
from abm_tui.ingest.presets import LOST, WON, CrmStage
from abm_tui.plan import rules
from abm_tui.plan.model import (
    FLOW_DIMENSIONS,
    NOT_TARGET,
    RULE_DIMENSIONS,
    AllOf,
    AnyOf,
    Condition,
    Not,
    Plan,
    Rule,
    Tier,
)

ENTERED, LEFT, MOVED = "entered", "left", "moved"
_SIDES = ("before", "after")
_OUTCOMES = ("crm_stage", "opportunity_amount")
PlanChange = tuple[str, str | None, str]  # section, the rule it concerns (None: a setting), the words


@dataclass(frozen=True)
class Movement:
    """Every account on either side, with where it was, where it is, and why it changed."""

    before: str  # labels for the two sides, e.g. "2026-11-13" and "now"
    after: str
    accounts: pl.DataFrame  # account_id, name, change (entered/left/moved/null), {before,after}_{dim}, reason
    tiers: tuple[str, ...] = ()  # the tiers in plan order, for summaries

    @property
    def changed(self) -> pl.DataFrame:
        return self.accounts.filter(pl.col("change").is_not_null())

    def count(self, change: str) -> int:
        return self.accounts.filter(pl.col("change") == change).height

    def flows(self, by: str = "segment") -> pl.DataFrame:
        """from, to, accounts for the accounts whose `by` changed, biggest first; "(new)" and "(gone)" at the ends."""
        source, target = _ends(by)
        return (
            self.changed.filter(source != target)
            .group_by(source.alias("from"), target.alias("to"))
            .agg(pl.len().alias("accounts"))
            .sort(["accounts", "from", "to"], descending=[True, False, False])
        )

    def flow_accounts(self, by: str, source: str, target: str) -> pl.DataFrame:
        """The accounts behind one flow, for a drill-down."""
        before, after = _ends(by)
        return self.accounts.filter((before == source) & (after == target))


def _ends(by: str) -> tuple[pl.Expr, pl.Expr]:
    return pl.col(f"before_{by}").fill_null("(new)"), pl.col(f"after_{by}").fill_null("(gone)")


def compare(before: pl.DataFrame, after: pl.DataFrame, labels: tuple[str, str],
            plans: tuple[Plan | None, Plan | None] = (None, None),
            plan_changes: Sequence[PlanChange] = ()) -> Movement:
    """Join the two sides on account_id and explain every account whose tier, stage or bucket differs.

    `plans` (the plan behind each side, when known) give the tests whose flip explains a move;
    `plan_changes` are (section, rule, words) of the rule changes, named when the data alone does not.
    """
    keep = _needed([c for c in before.columns if c in after.columns], plans)
    joined = _side_by_side(before.select(keep), after.select(keep))
    name = pl.coalesce("after_name", "before_name").alias("name") if "name" in keep else pl.lit(None).alias("name")
    moved = pl.any_horizontal(pl.col(f"before_{d}") != pl.col(f"after_{d}") for d in RULE_DIMENSIONS)
    change = (
        pl.when(pl.col("before_tier").is_null()).then(pl.lit(ENTERED))
        .when(pl.col("after_tier").is_null()).then(pl.lit(LEFT))
        .when(moved).then(pl.lit(MOVED))
        .otherwise(None)
        .alias("change")
    )
    frame = joined.with_columns(name, change).collect()
    rows = (frame.get_column("change") == MOVED).arg_true()
    reason = _spread(frame.height, rows, _explain(frame[rows], plans, tuple(plan_changes)))
    columns = ["account_id", "name", "change", *(f"{side}_{d}" for d in (*FLOW_DIMENSIONS, *_OUTCOMES)
                                                 for side in _SIDES if f"{side}_{d}" in frame.columns)]
    accounts = frame.select(columns).with_columns(
        pl.when(pl.col("change") == ENTERED).then(pl.lit("new in this segmentation"))
        .when(pl.col("change") == LEFT).then(pl.lit("no longer in the account list"))
        .otherwise(reason)
        .alias("reason")
    )
    tiers = next(((*(t.name for t in p.tiers), NOT_TARGET) for p in reversed(plans) if p is not None), ())
    return Movement(labels[0], labels[1], accounts, tiers)


_KEPT = ("account_id", "name", *FLOW_DIMENSIONS, *_OUTCOMES, "days_since_engaged", "last_engaged", "last_channel")


def _side_by_side(before: pl.DataFrame, after: pl.DataFrame) -> pl.LazyFrame:
    """One row per account id on either side, columns prefixed before_ and after_.

    Two runs over the same account list hold the same ids in the same order, and then the sides
    are simply put next to each other; otherwise they are joined on account_id.
    """
    prefixed = [frame.select(pl.exclude("account_id").name.prefix(f"{side}_"))
                for side, frame in zip(_SIDES, (before, after), strict=True)]
    ids = before.get_column("account_id")
    if ids.equals(after.get_column("account_id")):
        return pl.concat([ids.to_frame(), *prefixed], how="horizontal").lazy()
    return (
        pl.concat([ids.to_frame(), prefixed[0]], how="horizontal").lazy()
        .join(pl.concat([after.select("account_id"), prefixed[1]], how="horizontal").lazy(), on="account_id",
              how="full", coalesce=True, maintain_order="left_right")
    )


def _needed(shared: list[str], plans: tuple[Plan | None, Plan | None]) -> list[str]:
    """The shared columns a comparison reads: identity, segments, outcomes and what the plans' rules read.

    Without either plan every shared column might explain a move, so all are kept.
    """
    known = [plan for plan in plans if plan is not None]
    if not known:
        return shared
    read = set().union(*(columns for plan in known for columns in rules.section_columns(plan).values()))
    return [c for c in shared if c in _KEPT or c in read or c == "fit_score"]


_SECTIONS = {"tier": ("fit", "tiers"), "stage": ("stages",), "bucket": ("buckets",)}
_EVERYWHERE = ("data", "engagement")  # plan sections that can move any dimension (as_of moves it through the data)


@dataclass(frozen=True)
class _Test:
    """One leaf test of a rule (a compare or an sql text), with the rule's name and the columns it reads."""

    rule: str | None  # None: a fit criterion, which matters to any tier move through fit_score
    condition: Condition
    columns: frozenset[str]


def _leaves(condition: Condition) -> list[Condition]:
    if isinstance(condition, AllOf | AnyOf):
        return [leaf for item in condition.items for leaf in _leaves(item)]
    if isinstance(condition, Not):
        return _leaves(condition.item)
    return [condition]


def _tests(plans: tuple[Plan | None, Plan | None], dim: str) -> list[_Test]:
    """Every leaf test of the rules that decide `dim`, from both plans, each once."""
    found: dict[tuple[str | None, Condition], _Test] = {}
    for plan in plans:
        if plan is None:
            continue
        named: dict[str, tuple[Tier | Rule, ...]] = {"tier": plan.tiers, "stage": plan.stages, "bucket": plan.buckets}
        rules_of: list[tuple[str | None, Condition]] = [(r.name, r.where) for r in named[dim]]
        if dim == "tier":
            rules_of += [(None, c.where) for c in plan.criteria]
        for name, where in rules_of:
            for leaf in _leaves(where):
                found.setdefault((name, leaf), _Test(name, leaf, frozenset(rules.columns(leaf))))
    return list(found.values())


def _sides(moved: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The moved accounts as each side saw them, under the plain column names the rules use."""
    return {
        side: moved.select(pl.col(c).alias(c.removeprefix(f"{side}_")) for c in moved.columns
                           if c.startswith(f"{side}_"))
        for side in _SIDES
    }


def _flipped(sides: dict[str, pl.DataFrame], labels: tuple[pl.Series, pl.Series],
             tests: list[_Test]) -> dict[str, pl.Series]:
    """Per column, the moved accounts for which a test reading it came out differently on the two sides.

    A rule's test counts only for accounts that left or entered that rule; a fit criterion's test
    only where the fit score itself changed.
    """
    before, after = sides["before"], sides["after"]
    shared = set(before.columns) & set(after.columns)
    refit = None
    read = sorted(set().union(*(t.columns for t in tests if t.rule is None)) & shared)
    if read and "fit_score" in shared:  # criteria are tested only where the fit score changed, often a few accounts
        refit = (before.get_column("fit_score") != after.get_column("fit_score")).arg_true()
        refitted = (before.select(read)[refit], after.select(read)[refit])
    touched: dict[str, pl.Series] = {}  # per rule: the accounts that left or entered it
    flips: dict[str, pl.Series] = {}
    for test in tests:
        if not test.columns <= shared:
            continue
        expr = rules.to_expr(test.condition, after.schema)
        if test.rule is not None:
            if test.rule not in touched:
                touched[test.rule] = (labels[0] == test.rule) | (labels[1] == test.rule)
            flip = (before.select(expr).to_series() != after.select(expr).to_series()) & touched[test.rule]
        elif refit is not None:
            changed = refitted[0].select(expr).to_series() != refitted[1].select(expr).to_series()
            flip = _spread(before.height, refit, changed).fill_null(False)
        else:
            continue
        for column in test.columns:
            flips[column] = flips[column] | flip if column in flips else flip
    return flips


def _spread(size: int, rows: pl.Series, values: pl.Series) -> pl.Series:
    """`values` placed at `rows` of an otherwise null column of `size`."""
    return pl.repeat(None, size, dtype=values.dtype, eager=True).scatter(rows, values)


def _explain(moved: pl.DataFrame, plans: tuple[Plan | None, Plan | None],
             plan_changes: tuple[PlanChange, ...]) -> pl.Series:
    """The reason for each moved account: one sentence per dimension that changed, naming the values that
    flipped one of its rules' tests.

    A move no flipped test explains is put down to the plan's changes in the sections that decide
    that dimension, else (for tiers) to other accounts' changes, as a tier limit ranks accounts.
    Each phrase is built only for the accounts whose test flipped, so the work follows the movement.
    """
    sides = _sides(moved)
    context = [c for c in ("after_last_channel", "after_last_engaged") if c in moved.columns]
    sentences = []
    for dim in RULE_DIMENSIONS:
        before, after = moved.get_column(f"before_{dim}"), moved.get_column(f"after_{dim}")
        changed = before != after
        flips = _flipped(sides, (before, after), _tests(plans, dim))
        phrases = []
        for column in sorted(flips, key=_order):
            rows = (flips[column] & changed).arg_true()
            if rows.len():
                picked = moved.select(f"before_{column}", f"after_{column}", *context)[rows]
                phrases.append(_spread(moved.height, rows, picked.select(_cause(column, moved.schema)).to_series()))
        said = pl.concat_str(phrases, separator="; ", ignore_nulls=True) if phrases else pl.lit("")
        why = pl.when(said != "").then(said).otherwise(_fallback(dim, plan_changes, (before, after)))
        sentence = pl.format("{} moved it from {} to {}", why, pl.lit(before), pl.lit(after))
        sentences.append(pl.when(pl.lit(changed)).then(sentence))
    return pl.select(pl.concat_str(sentences, separator=". ", ignore_nulls=True).alias("reason")).to_series()


def _fallback(dim: str, plan_changes: tuple[PlanChange, ...], labels: tuple[pl.Series, pl.Series]) -> pl.Expr:
    """Why a move no flipped test explains happened: the plan's changes to the rules the account left or
    entered, with the changes that touch every account of the dimension (settings, fit criteria); failing
    those (a tier limit elsewhere freed a place), all the changes to the dimension's rules."""
    relevant = [(rule, text) for section, rule, text in plan_changes if section in (*_SECTIONS[dim], *_EVERYWHERE)]
    if not relevant:
        return pl.lit("other accounts' changes (tier limits rank accounts against each other)" if dim == "tier"
                      else "a change the snapshots do not record")
    shared = [text for rule, text in relevant if rule is None or rule not in (*labels[0], *labels[1])]
    by_rule: dict[str, list[str]] = {}
    for rule, text in relevant:
        if rule is not None and text not in shared:  # a setting's change (rule None) is always shared
            by_rule.setdefault(rule, []).append(text)
    named = {rule: "; ".join(texts) for rule, texts in by_rule.items()}
    own = [pl.lit(side).replace_strict(named, default=None, return_dtype=pl.String) for side in labels]
    everyone = [pl.lit("; ".join(shared))] if shared else []
    said = pl.concat_str([*own, *everyone], separator="; ", ignore_nulls=True)
    whole = "; ".join(text for _, text in relevant)  # a move through a rule it neither left nor entered
    return pl.format("plan: {}", pl.when(said.fill_null("") != "").then(said).otherwise(pl.lit(whole)))


def _order(column: str) -> tuple[int, str]:
    """fit_score before what it is made of; engagement recency first among the rest."""
    return (0 if column == "fit_score" else 1 if column == "days_since_engaged" else 2, column)


def _cause(column: str, schema: pl.Schema) -> pl.Expr:
    """A phrase when `column` differs between the sides, else null."""
    before, after = pl.col(f"before_{column}"), pl.col(f"after_{column}")
    dtype = schema[f"after_{column}"]
    values = pl.format("{} {} → {}", pl.lit(column), _text(before, dtype), _text(after, dtype))
    phrase = values
    if column == "days_since_engaged":
        phrase = (
            pl.when(after.is_null()).then(pl.lit("no engagement on record"))
            .when(before.is_null()).then(pl.format("first engaged on {}", pl.col("after_last_engaged").cast(pl.String)))
            .when(after > before).then(pl.format("no engagement for {} days", after))
            .otherwise(pl.format("engaged again on {}", pl.col("after_last_engaged").cast(pl.String)))
        )
    elif _channel(column) and {"after_last_channel", "after_last_engaged"} <= set(schema.names()):
        channel = _channel(column)
        rose = after.fill_null(0) > before.fill_null(0)
        latest = pl.when(rose & (pl.col("after_last_channel") == channel)).then(
            pl.format("{} on {}", pl.lit(channel), pl.col("after_last_engaged").cast(pl.String))
        )
        phrase = pl.coalesce(latest, values)
    return pl.when(before.ne_missing(after)).then(phrase)


def _channel(column: str) -> str | None:
    """`pricing_page_visit` for `pricing_page_visit_window`; None for anything not a channel count."""
    if column.startswith("engagement_"):
        return None
    for period in PERIODS:
        if column.endswith(f"_{period}"):
            return column.removesuffix(f"_{period}")
    return None


def _text(value: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A value as the plan writes it: 2 not 2.0, 0.25 not 0.25000001, lists as [a, b], "missing" for null."""
    if dtype.is_float():
        text = pl.when(value == value.round(0)).then(value.cast(pl.Int64).cast(pl.String)).otherwise(
            value.round(2).cast(pl.String))
    elif isinstance(dtype, pl.List):
        text = pl.format("[{}]", value.list.eval(pl.element().cast(pl.String)).list.join(", "))
    else:
        text = value.cast(pl.String)
    return text.fill_null("missing")


# --- for people --------------------------------------------------------------------------------


def summary(movement: Movement, title: str, by: str = "segment", top: int = 5) -> str:
    """A few lines for a scheduler's log or a team chat: how much moved, tier sizes, the biggest flows, outcomes."""
    m = movement
    lines = [
        f"{title}: {m.before} → {m.after}",
        f"{m.accounts.height:,} accounts: {m.count(MOVED):,} moved, {m.count(ENTERED):,} new, {m.count(LEFT):,} gone",
        "tiers: " + ", ".join(_size_change(m.accounts, "tier", m.tiers)),
    ]
    flows = m.flows(by).head(top)
    if flows.height:
        lines.append("biggest moves:")
        lines += [f"  {f} → {t}: {n:,}" for f, t, n in flows.iter_rows()]
    lines += _outcome_lines(m.accounts)
    return "\n".join(lines)


def _size_change(accounts: pl.DataFrame, dim: str, order: tuple[str, ...]) -> list[str]:
    """`Tier 1 42 → 61` per value on either side: plan order first, then any other names."""
    before, after = (dict(accounts.get_column(f"{side}_{dim}").drop_nulls().value_counts().iter_rows())
                     for side in _SIDES)
    names = [n for n in dict.fromkeys([*order, *sorted(set(after) | set(before))]) if n in after or n in before]
    return [f"{n} {before.get(n, 0):,} → {after.get(n, 0):,}" for n in names]


def _outcome_lines(accounts: pl.DataFrame) -> list[str]:
    """Opportunities opened, won and lost between the two sides, from the CRM stage each side saw."""
    columns = ("before_crm_stage", "after_crm_stage")
    if not set(columns) <= set(accounts.columns) or accounts.select(pl.col(columns).null_count()).row(0) == (
            accounts.height, accounts.height):
        return []  # the accounts file has no CRM stage: nothing to say about outcomes
    before, after = pl.col("before_crm_stage"), pl.col("after_crm_stage")
    amount = pl.col("after_opportunity_amount") if "after_opportunity_amount" in accounts.columns else pl.lit(None)
    def became(states: tuple[str, ...]) -> pl.Expr:
        return after.is_in(states) & ~before.is_in(states).fill_null(False)

    counts = accounts.select(
        (before.ne_missing(after) & (after == CrmStage.OPEN)).sum().alias("opened"),
        became(WON).sum().alias("won"),
        amount.filter(became(WON)).sum().alias("won_amount"),
        became(LOST).sum().alias("lost"),
    ).row(0, named=True)
    won = f"{counts['won']:,} won" + (f" ({rules.format_value(float(counts['won_amount']))})"
                                      if counts["won_amount"] else "")
    return [f"CRM: {counts['opened']:,} opportunities opened, {won}, {counts['lost']:,} lost"]


def changes_frame(movement: Movement) -> pl.DataFrame:
    """The accounts that moved, entered or left, with the reason: what `movement.csv` and `diff --format csv` hold."""
    return movement.changed.select(
        "account_id", "name", "change", *(c for c in movement.accounts.columns
                                          if c.startswith(_SIDES) and not c.endswith(_OUTCOMES)), "reason"
    )


# --- a plan edit, before it is made ------------------------------------------------------------


def assignment_flows(before: Assignment, after: Assignment, dim: str) -> list[tuple[str, str, int]]:
    """(from, to, accounts) for the accounts whose `dim` label differs, biggest first: a bincount, cheap per keystroke.

    Labels are compared by name, so moving a rule up or down is not itself a move.
    """
    old, new = getattr(before, dim), getattr(after, dim)
    old_labels, new_labels = getattr(before, f"{dim}_labels"), getattr(after, f"{dim}_labels")
    width = len(new_labels)
    if old_labels == new_labels:  # the usual tweak: same rules, so codes compare directly (one pass at 1M)
        moved = old != new
    else:
        moved = np.array([new_labels.index(n) if n in new_labels else -1 for n in old_labels])[old] != new
    if not moved.any():
        return []
    pairs = np.bincount(old[moved].astype(np.int64) * width + new[moved])
    found = [(old_labels[i // width], new_labels[i % width], int(pairs[i])) for i in np.flatnonzero(pairs)]
    return sorted(found, key=lambda flow: -flow[2])


def preview_text(before: Assignment, after: Assignment, shown: int = 3) -> str:
    """"moves 23 accounts: Tier 2 → Tier 1 (23)" per dimension that changes; "moves no account" otherwise; then
    each tier whose limit now cuts a different number: a lowered threshold that moves nobody is the limit's doing."""
    parts = []
    for dim in RULE_DIMENSIONS:
        flows = assignment_flows(before, after, dim)
        if flows:
            total = sum(n for *_, n in flows)
            listed = ", ".join(f"{a} → {b} ({n:,})" for a, b, n in flows[:shown])
            more = f", {len(flows) - shown} more" if len(flows) > shown else ""
            parts.append(f"{dim}: {total:,} accounts: {listed}{more}")
    moved = "moves " + "; ".join(parts) if parts else "moves no account"
    return ". ".join([moved, *limit_lines(before, after)])


def limit_lines(before: Assignment, after: Assignment) -> list[str]:
    """"Tier 1: 412 accounts pass; the limit keeps 50" for each tier whose limit cuts other accounts than before."""
    cut_before = dict(zip(before.tier_labels, before.cut_by_limit, strict=False))
    kept = np.bincount(after.tier, minlength=len(after.tier_labels))
    return [
        f"{label}: {kept[i] + cut:,} accounts pass; the limit keeps {kept[i]:,}"
        for i, (label, cut) in enumerate(zip(after.tier_labels, after.cut_by_limit, strict=False))
        if cut and cut != cut_before.get(label)
    ]
