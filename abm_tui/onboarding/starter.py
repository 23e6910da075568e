"""The starter plan `abm-tui init` writes: the bundled framework with thresholds taken from the planner's own data.

A planner's first plan should segment *their* accounts sensibly before they touch a key: a fixed
threshold such as `employees min = 200` means nothing for a list of Fortune 1000 companies, and a
tier cut at fit 80 is empty when the criteria that can be built add up to less. So every number
here is a quantile of the data itself, and every choice (and every omission) is said in a finding
that `init` prints, so the planner knows which knob to turn first.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from abm_tui.engine.features import feature_names
from abm_tui.engine.guidance import size_warnings
from abm_tui.engine.segment import Engine
from abm_tui.ingest.presets import WON
from abm_tui.onboarding.bundled import demo_plan
from abm_tui.plan import limits, rules
from abm_tui.plan.model import AllOf, AnyOf, Compare, Condition, Criterion, DataSource, Not, Plan, Play, Rule, Sql, Tier
from abm_tui.plan.parse import load_plan
from abm_tui.plan.rules import format_value
from abm_tui.plan.validate import sections

# How much each kind of fit evidence is worth before scaling to 100: what the company does matters
# most, then how big it is, then where it is and what it already runs.
_WEIGHTS = {"Core industry": 30, "Company size": 25, "Revenue": 20, "Home market": 15, "Existing tech": 10}
_CORE_SHARE = 0.5  # core industries cover about half the accounts ...
_CORE_MOST = 5  # ... with at most this many named
_COMMON_SHARE = 0.02  # a value held by fewer accounts is a one-off, not a segment
_EXISTING_TECH_MOST = 3
_HOME_SHARE = 0.3  # a country is the home market only when it clearly dominates the list
# Cumulative shares of the accounts each tier reaches down to, and the guidance caps (guidance.LIMITS
# covers 1:1; 300 keeps a 1:few programme to what a few campaigns can personalise).
# Limits follow the size guidance (1:1 at most 50, 1:many at most 1,000), so a starter plan never starts out warned.
_TIERS = (("Tier 1", "1:1", 0.01, 50), ("Tier 2", "1:few", 0.05, 300), ("Tier 3", "1:many", 0.25, 1000))
# What ranks accounts of one fit score, the way a planner would defend it: how big the company is. Revenue, then
# headcount, then a file's own size figure (the S&P's market cap, Crunchbase's funding), never the id.
_SIZE_COLUMNS = ("annual_revenue", "employees")
_SIZE_HEADER = re.compile(r"market.?cap|revenue|sales|funding|ebitda|employee|headcount|assets", re.IGNORECASE)
_SPIKING_SQL = "engagement_recent >= 3 * (engagement_window - engagement_recent) / 2"
_CRM_STAGES = (
    ("Closed Won", ("closed_won", "customer")),
    ("Closed Lost", ("closed_lost", "churned")),
    ("Selecting", ("open_opportunity",)),
)
_CRM_QUIET = "none"
_BUYING_SIGNALS = ("pricing_page_visit", "demo_request")
_PLAYS = {
    "1:1": ("1:1 named-account programme: case studies and ROI ads to the buying committee",
            "Book a demo, talk to a customer", "AE-led account plan, multi-threaded, exec sponsor"),
    "1:few": ("1:few thought leadership and intent-themed campaigns", "Read the guide, watch the webinar",
              "BDR sequence on warm contacts only"),
    "1:many": ("1:many thought leader ads and educational content", "Subscribe, follow, free tool",
               "None unless a self-serve trigger fires"),
}


@dataclass(frozen=True)
class Starter:
    plan: Plan
    findings: tuple[str, ...]  # what init prints: each choice, the quantile behind it, and what was left out


def starter_plan(table: pl.DataFrame, channels: tuple[str, ...] | None, data: DataSource, name: str,
                 as_of: dt.date | None = None) -> Starter:
    """The bundled framework fitted to `table` (the workspace feature table); `data` goes in unchanged."""
    engine = Engine(table, channels)
    criteria, findings = _fit_criteria(table)
    plan = Plan(name=name, as_of=as_of, data=data, engagement=load_plan(demo_plan()).engagement, criteria=criteria)
    engagement = _engagement(engine.frame(plan), channels)
    stages, stage_notes = _stages(table, engagement)
    buckets, bucket_notes = _buckets(engagement, plan.engagement.recent_days)
    plan = replace(plan, stages=stages, buckets=buckets)
    tiers, tier_notes = _tiers(engine, plan, engagement)
    plan = replace(plan, tiers=tiers, plays=_plays(tiers))
    assignment = engine.assign(plan)
    findings = (_columns_used(plan, table, channels), *findings, *_money_unit(table, data), *tier_notes)
    findings += _counted("Stages", stage_notes, assignment.stage, assignment.stage_labels)
    findings += _counted("Buckets", bucket_notes, assignment.bucket, assignment.bucket_labels)
    findings += tuple(size_warnings(plan, engine.matrix(assignment, "tier", "stage")))
    return Starter(plan, findings)


def _columns_used(plan: Plan, table: pl.DataFrame, channels: tuple[str, ...] | None) -> str:
    used = set().union(*(rules.columns(where) for _, _, where in sections(plan)))
    engagement = used & set(feature_names(channels or ()))
    line = "columns used: " + (", ".join(c for c in table.columns if c in used - engagement) or "none")
    return line + (f"; engagement features: {', '.join(sorted(engagement))}" if engagement else "")


# --- fit --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    """A criterion the data supports (points still to be shared out), or the reason it does not."""

    name: str
    where: AllOf | None
    note: str


def _fit_criteria(table: pl.DataFrame) -> tuple[tuple[Criterion, ...], tuple[str, ...]]:
    found = [_separating(table, build(table)) for build in _BUILDERS]
    kept = [(f, f.where) for f in found if f.where is not None]
    points = _share_100([_WEIGHTS[f.name] for f, _ in kept])
    criteria = tuple(Criterion(f.name, p, where) for (f, where), p in zip(kept, points, strict=True))
    notes = [f"{c.name}, {c.points} points: {f.note}" for c, (f, _) in zip(criteria, kept, strict=True)]
    notes += [f"no {f.name.lower()} criterion: {f.note}" for f in found if f.where is None]
    if not criteria:
        notes.append("no fit criteria could be built, so no account scores above 0 and the tiers stay empty: "
                     "map industry, employees, annual_revenue or country in [data.columns]")
    return criteria, tuple(notes)


def _separating(table: pl.DataFrame, found: _Found) -> _Found:
    """A criterion every account meets (a US-only list, one industry) only shifts every score alike."""
    if found.where is None:
        return found
    met = table.select(rules.to_expr(found.where, table.schema).sum()).item()
    if 0 < met < table.height:
        return found
    return _Found(found.name, None, f"{rules.describe(found.where)} holds for {'every' if met else 'no'} account, "
                                    "so it would not separate them")


def _share_100(weights: Sequence[int]) -> list[int]:
    """Weights scaled to whole points adding to exactly 100 (largest remainders get the spare points),
    so a fit score reads as a percentage of a perfect fit whatever columns the file has."""
    if not weights:
        return []
    exact = [100 * w / sum(weights) for w in weights]
    points = [math.floor(x) for x in exact]
    spare = sorted(range(len(exact)), key=lambda i: (points[i] - exact[i], i))[: 100 - sum(points)]
    return [p + (i in spare) for i, p in enumerate(points)]


def _is_text(table: pl.DataFrame, column: str) -> bool:
    return column in table.columns and table.schema[column] in (pl.String, pl.Categorical)


def _is_number(table: pl.DataFrame, column: str) -> bool:
    return column in table.columns and table.schema[column].is_numeric() and table[column].drop_nulls().len() > 0


def _ranked(values: pl.Series) -> pl.DataFrame:
    """Distinct values with their account counts, most common first (ties alphabetical, so reruns agree)."""
    counts = values.drop_nulls().cast(pl.String).to_frame("value").group_by("value").len("accounts")
    return counts.sort(["accounts", "value"], descending=[True, False])


def _core_industries(table: pl.DataFrame) -> _Found:
    """The most common industries until about half the accounts are covered: a planner's list is
    mostly their ICP already, so its bulk is where the programme should concentrate."""
    if not _is_text(table, "industry"):
        return _Found("Core industry", None, _missing_text(table, "industry"))
    chosen, distinct = _most_common(table["industry"], table.height, _CORE_MOST)
    if chosen.height == 0:
        return _Found("Core industry", None, _none_common("industry", distinct))
    where = AllOf((Compare("industry", "in", tuple(chosen["value"].to_list())),))
    note = (f"{rules.describe(where)}: the {chosen.height} most common of {distinct:,} industries, "
            f"{chosen['accounts'].sum() / table.height:.0%} of accounts")
    return _Found("Core industry", where, note)


def _company_size(table: pl.DataFrame) -> _Found:
    """At least the median headcount: the bigger half of the list has the budget and the committee
    that a named-account programme pays off on."""
    if not _is_number(table, "employees"):
        return _Found("Company size", None, _missing_number(table, "employees"))
    median = _nearest_quantile(table["employees"], 0.5)
    threshold = round(median) if table.schema["employees"].is_integer() else _two_figures(median)
    where = AllOf((Compare("employees", "min", threshold),))
    note = f"{rules.describe(where)}: the median of {table['employees'].drop_nulls().len():,} accounts"
    return _Found("Company size", where, note)


def _revenue(table: pl.DataFrame) -> _Found:
    """At least the median revenue, rounded to 2 significant figures so the plan reads like a
    planner's own band ($12M, not $12,345,678) rather than an artefact of this quarter's file."""
    if not _is_number(table, "annual_revenue"):
        return _Found("Revenue", None, _missing_number(table, "annual_revenue"))
    median = _nearest_quantile(table["annual_revenue"], 0.5)
    threshold = _two_figures(median)
    where = AllOf((Compare("annual_revenue", "min", threshold),))
    count = table["annual_revenue"].drop_nulls().len()
    note = f"{rules.describe(where)}: the median of {count:,} accounts, {format_value(median)}, to 2 significant digits"
    return _Found("Revenue", where, note)


def _home_market(table: pl.DataFrame) -> _Found:
    """The most common country, if it holds at least 30% of the list: then the list is built around
    one market (language, time zone, sales coverage), and accounts outside it are a weaker fit."""
    if not _is_text(table, "country"):
        return _Found("Home market", None, _missing_text(table, "country"))
    ranked = _ranked(table["country"])
    if ranked.height == 0:
        return _Found("Home market", None, "country is blank for every account")
    country, accounts = ranked.row(0)
    share = accounts / table.height
    if share < _HOME_SHARE:
        return _Found("Home market", None, f"the most common country, {country}, holds only {share:.0%} of accounts "
                                           f"(under {_HOME_SHARE:.0%}), so the list has no single home market")
    where = AllOf((Compare("country", "eq", country),))
    note = f"{rules.describe(where)}: the most common of {ranked.height:,} countries, {share:.0%} of accounts"
    return _Found("Home market", where, note)


def _existing_tech(table: pl.DataFrame) -> _Found:
    """The tools most accounts already run (up to three, until about half are covered): running the
    stack a product plugs into is the strongest fit signal a CRM export carries."""
    if "tech_stack" not in table.columns or not isinstance(table.schema["tech_stack"], pl.List):
        shown = "no tech_stack column" if "tech_stack" not in table.columns else "tech_stack does not hold lists"
        return _Found("Existing tech", None, shown)
    chosen, distinct = _most_common(table["tech_stack"].list.unique().explode(), table.height, _EXISTING_TECH_MOST)
    if chosen.height == 0:
        return _Found("Existing tech", None, _none_common("tech_stack", distinct))
    tools = tuple(chosen["value"].to_list())
    where = AllOf((AnyOf(tuple(AllOf((Compare("tech_stack", "contains", t),)) for t in tools)),))
    used = table.select(pl.col("tech_stack").list.eval(pl.element().is_in(list(tools))).list.any().mean()).item()
    note = f"tech_stack contains {' or '.join(tools)}: the most common tools, {used:.0%} of accounts run one"
    return _Found("Existing tech", where, note)


# A header that names its unit, and the figure a company's yearly revenue in dollars is hardly ever under.
_UNITS = (
    (re.compile(r"(?i)\bbillions?\b|\bbn\b|\$\s*b\b|\(b\)"), "billions"),
    (re.compile(r"(?i)\bmillions?\b|\bmn\b|\bmm\b|\$\s*m\b|\(m\)"), "millions"),
    (re.compile(r"(?i)\bthousands?\b|\$\s*k\b|\(k\)"), "thousands"),
)
_SMALL_REVENUE = 10_000
_BILLIONS_BELOW = 100  # a median revenue under this is billions rather than millions (Forbes 2000: 4.4)
_SCALE = {"thousands": "1,000", "millions": "1,000,000", "billions": "1,000,000,000"}


def _money_unit(table: pl.DataFrame, data: DataSource) -> tuple[str, ...]:
    """When annual_revenue is in millions or billions (a header such as `revenue ($M)`, or a median no company's
    dollar revenue has), say so: `annual_revenue ≥ 4.4` is four billion in Forbes' file, four dollars to a reader."""
    if not _is_number(table, "annual_revenue"):
        return ()
    header = dict(data.columns).get("annual_revenue", "annual_revenue")
    median = _nearest_quantile(table["annual_revenue"], 0.5)
    named = next((unit for pattern, unit in _UNITS if pattern.search(header)), None)
    if named is not None:
        why = f"its header {header!r} says so"
    elif 0 < median < _SMALL_REVENUE:
        named = "billions" if median < _BILLIONS_BELOW else "millions"
        why = f"its median, {format_value(median)}, is too small for companies' yearly revenue in dollars"
    else:
        return ()
    return (f"annual_revenue looks like {named} of dollars ({why}): the Revenue threshold and every rule on it are "
            f"in {named}; to plan in dollars, multiply the column by {_SCALE[named]} in the file, or keep the "
            f"figures as they are and read them as {named}",)


_BUILDERS: tuple[Callable[[pl.DataFrame], _Found], ...] = (
    _core_industries, _company_size, _revenue, _home_market, _existing_tech,
)


def _most_common(values: pl.Series, total: int, most: int) -> tuple[pl.DataFrame, int]:
    """The most common values until about half of the `total` accounts are covered (at most `most`),
    and how many distinct values there are. Only values held by 2% of the accounts (and by two) count:
    a long tail of one-offs, all tied at 1, would otherwise be picked alphabetically."""
    ranked = _ranked(values)
    common = ranked.filter(pl.col("accounts") >= max(2, _COMMON_SHARE * total))
    short = int((common["accounts"].cum_sum() < _CORE_SHARE * total).sum())
    return common.head(min(most, short + 1)), ranked.height


def _none_common(column: str, distinct: int) -> str:
    if not distinct:
        return f"{column} is blank for every account"
    return f"none of the {distinct:,} {column} values is held by {_COMMON_SHARE:.0%} of accounts"


def _missing_text(table: pl.DataFrame, column: str) -> str:
    return f"no {column} column" if column not in table.columns else f"{column} does not hold text"


def _missing_number(table: pl.DataFrame, column: str) -> str:
    if column not in table.columns:
        return f"no {column} column"
    return f"{column} is blank for every account" if table.schema[column].is_numeric() else f"{column} is not numbers"


def _nearest_quantile(values: pl.Series, q: float) -> float:
    """A value that occurs in the data, so a `min` at it keeps the account it came from."""
    found = values.drop_nulls().quantile(q, "nearest")
    return 0.0 if found is None else float(found)


def _two_figures(value: float) -> int | float:
    """Two significant figures; a whole number only where a 64-bit column can hold it (1e40 stays a float)."""
    rounded = float(f"{value:.2g}")
    return int(rounded) if rounded.is_integer() and abs(rounded) <= limits.WHOLE else rounded


# --- engagement ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Engagement:
    """Engagement quantiles among the accounts that engaged at all: most accounts are silent, so a
    quantile over everyone would be 0 and separate nothing. `missing` says why there are none."""

    channels: tuple[str, ...] = ()
    missing: str = ""
    recent_engaged: int = 0
    recent_p75: float = 0
    recent_median: float = 0
    window_engaged: int = 0
    window_p75: float = 0
    total_engaged: int = 0
    total_median: float = 0


def _engagement(frame: pl.DataFrame, channels: tuple[str, ...] | None) -> _Engagement:
    if channels is None:
        return _Engagement(missing="no engagement file")

    def engaged(column: str) -> pl.Expr:
        return pl.col(column).filter(pl.col(column) > 0)

    row = frame.select(
        engaged("engagement_recent").len().alias("recent_engaged"),
        engaged("engagement_recent").quantile(0.75, "nearest").alias("recent_p75"),
        engaged("engagement_recent").quantile(0.5, "nearest").alias("recent_median"),
        engaged("engagement_window").len().alias("window_engaged"),
        engaged("engagement_window").quantile(0.75, "nearest").alias("window_p75"),
        engaged("engagement_total").len().alias("total_engaged"),
        engaged("engagement_total").quantile(0.5, "nearest").alias("total_median"),
    ).row(0, named=True)
    if not row["recent_engaged"]:
        return _Engagement(channels, missing="no account engaged in the recent window")
    figures: dict[str, Any] = {k: v if k.endswith("engaged") else _two_figures(v) for k, v in row.items()}
    return _Engagement(channels, **figures)


# --- stages and buckets --------------------------------------------------------------------------


def _stages(table: pl.DataFrame, engagement: _Engagement) -> tuple[tuple[Rule, ...], tuple[str, ...]]:
    """Most advanced first, as the seeds order them: the CRM knows about deals, engagement knows
    about the time before one, and every other account is at least Identified."""
    crm, crm_notes = _crm_stages(table)
    engaged, engaged_notes = _engagement_stages(engagement)
    return crm + engaged + (Rule("Identified"),), crm_notes + engaged_notes


def _crm_stages(table: pl.DataFrame) -> tuple[tuple[Rule, ...], tuple[str, ...]]:
    if not _is_text(table, "crm_stage"):
        return (), (f"no Closed Won, Closed Lost or Selecting stages: {_missing_text(table, 'crm_stage')}",)
    stages = tuple(Rule(name, AllOf((Compare("crm_stage", "in", values),))) for name, values in _CRM_STAGES)
    known = [_CRM_QUIET, *(value for _, values in _CRM_STAGES for value in values)]
    other = _ranked(table["crm_stage"]).filter(~pl.col("value").is_in(known))
    notes: tuple[str, ...] = (
        "Closed Won, Closed Lost and Selecting from crm_stage (closed_won or customer; closed_lost or churned; "
        "open_opportunity)",
    )
    if other.height:
        shown = ", ".join(f"{value} ({n:,})" for value, n in other.head(5).iter_rows())
        notes += (f"crm_stage values no stage reads: {shown}; map them to closed_won, closed_lost, open_opportunity "
                  "... or edit the stage rules",)
    return stages, notes


def _engagement_stages(engagement: _Engagement) -> tuple[tuple[Rule, ...], tuple[str, ...]]:
    if engagement.missing:
        return (), (f"{engagement.missing}: no Considering, Interested or Aware stages",)
    stages: list[Rule] = []
    notes: list[str] = []
    signals = [c for c in _BUYING_SIGNALS if c in engagement.channels]
    if signals:
        where = AnyOf(tuple(AllOf((Compare(f"{c}_recent", "min", 1),)) for c in signals))
        stages.append(Rule("Considering", AllOf((where,))))
        notes.append(f"Considering: any {' or '.join(signals)} in the recent window")
    stages.append(Rule("Interested", AllOf((Compare("engagement_recent", "min", engagement.recent_median),))))
    notes.append(f"Interested: engagement_recent ≥ {format_value(engagement.recent_median)}, the median among "
                 f"{engagement.recent_engaged:,} accounts engaged in the recent window")
    stages.append(Rule("Aware", AllOf((Compare("engagement_window", "gt", 0),))))
    notes.append("Aware: any engagement in the window (engagement_window > 0)")
    return tuple(stages), tuple(notes)


def _buckets(engagement: _Engagement, recent_days: int) -> tuple[tuple[Rule, ...], tuple[str, ...]]:
    """The seeds' four engagement buckets, each with its action in mind: act now on a spike, nurture
    the highly engaged, win back the stalled, and spend nothing on the silent."""
    if engagement.missing:
        return (), (f"{engagement.missing}: no buckets",)
    e = engagement
    buckets = (
        Rule("Spiking", AllOf((Compare("engagement_recent", "min", e.recent_p75), Sql(_SPIKING_SQL)))),
        Rule("Highly engaged", AllOf((Compare("engagement_window", "min", e.window_p75),))),
        Rule("Stalled", AllOf((Compare("engagement_total", "min", e.total_median),
                               Compare("days_since_engaged", "min", recent_days)))),
        Rule("No engagement", AllOf((Compare("engagement_window", "lt", 1),))),
    )
    notes = (
        f"Spiking: engagement_recent ≥ {format_value(e.recent_p75)} (75th percentile among {e.recent_engaged:,} "
        "recently engaged accounts) and at least 1.5 times the rest of the window",
        f"Highly engaged: engagement_window ≥ {format_value(e.window_p75)} (75th percentile among "
        f"{e.window_engaged:,} accounts engaged in the window)",
        f"Stalled: engagement_total ≥ {format_value(e.total_median)} (median among {e.total_engaged:,} accounts "
        f"that ever engaged) and nothing for {recent_days} days",
        "No engagement: engagement_window under 1 (a few ad impressions at most)",
    )
    return buckets, notes


def _counted(section: str, notes: tuple[str, ...], codes: np.ndarray, labels: tuple[str, ...]) -> tuple[str, ...]:
    """The notes and the resulting sizes; the fallback (Unstaged, Unclassified) only when it holds any."""
    if len(labels) == 1:
        return notes
    sizes = np.bincount(codes, minlength=len(labels))
    shown = [f"{label} {n:,}" for label, n in zip(labels, sizes, strict=True) if n or label != labels[-1]]
    return (*notes, f"{section}: " + ", ".join(shown))


# --- tiers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bars:
    """What a tier asks beside its fit score: Tier 1 the recent engagement, every tier that the account is
    not a customer already (acquisition tiers: existing customers are the customer team's)."""

    intent: Compare | None = None
    not_customer: Not | None = None

    def extra(self, tier: int) -> tuple[Condition, ...]:
        asks = (self.intent,) if tier == 0 and self.intent is not None else ()
        return asks + ((self.not_customer,) if self.not_customer is not None else ())


def _not_customers(table: pl.DataFrame) -> tuple[Not | None, np.ndarray, tuple[str, ...]]:
    """A visible `not` condition keeping existing customers (`crm_stage` closed_won or customer: `Customer -
    Direct`, `closed_won`) out of the acquisition tiers, the accounts it leaves out, and the finding."""
    everyone = np.zeros(table.height, dtype=bool)
    if not _is_text(table, "crm_stage"):
        return None, everyone, ()
    won = tuple(str(stage) for stage in WON)
    customers = table.select(pl.col("crm_stage").cast(pl.String).is_in(won).fill_null(False)).to_series().to_numpy()
    if not customers.any():
        return None, everyone, ()
    note = (f"Tiers 1 to 3 leave out the {_accounts(int(customers.sum()))} that are customers already (crm_stage "
            f"{' or '.join(won)}): they are acquisition tiers; delete the tiers' `not` condition to include them")
    return Not(AllOf((Compare("crm_stage", "in", won),))), customers, (note,)


@dataclass(frozen=True)
class _TierCut:
    threshold: int  # fit_score min
    limit: int | None
    quantile_score: int  # the score the tier's quantile gave, before Tier 1 reached down for engagement
    size_cut: Compare | None = None  # the biggest of a tie at the threshold, by revenue or headcount
    tied: int = 0  # how many accounts the size cut chose from
    rank_by: tuple[str, ...] | None = None  # what the limit keeps the best by, when not the design's default
    enabled: bool = True  # False: nothing in the file ranks the tie this tier would split, so it goes on down


def _size_column(table: pl.DataFrame) -> str | None:
    """The column that says how big a company is: revenue, else headcount, else a numeric column whose header
    names a size (market cap, funding, sales, ...) and which at least half the accounts fill in."""
    named = [c for c in table.columns if c not in _SIZE_COLUMNS and _SIZE_HEADER.search(c)]
    for column in (*_SIZE_COLUMNS, *named):
        if _is_number(table, column) and table.get_column(column).null_count() <= table.height / 2:
            return column
    return None


def _ranking(size: str | None, engaged: bool) -> tuple[str, ...] | None:
    """A limit's rank_by: fit, then recent engagement, then size; None where that is the plan's default anyway."""
    ranking = ("fit_score", *(("engagement_recent",) if engaged else ()), *((size,) if size else ()))
    return None if size is None else ranking


def _tiers(engine: Engine, plan: Plan, engagement: _Engagement) -> tuple[tuple[Tier, ...], tuple[str, ...]]:
    """Each tier reaches down to the fit score at its quantile's rank, so the threshold is a score
    that really occurs and the tier holds about the intended share of the list. Tier 1 also asks for
    recent engagement: high fit and high intent, as the seeds define it.
    """
    not_customer, customers, customer_notes = _not_customers(engine.table)
    scores = engine.fit(plan)[0][~customers]
    ranked = np.sort(scores[scores > 0])[::-1]
    intent = None if engagement.missing else Compare("engagement_recent", "min", engagement.recent_p75)
    bars = _Bars(intent, not_customer)
    if ranked.size == 0:
        chosen = [_TierCut(100, None, 100)] * len(_TIERS)
        return _built(chosen, bars), ("no account meets a fit criterion, so every tier is empty", *customer_notes)
    targets = _targets(scores.size, ranked.size)
    chosen = [_TierCut(level, None, level) for level in (_nearest_level(ranked, k) for k in targets)]
    sizes = _sizes(engine, plan, chosen, bars)
    if intent is not None:
        chosen, sizes = _reach_engaged(engine, plan, chosen, bars, ranked, sizes)
    size = _size_column(engine.table)
    ranks_ties = size or (None if engagement.missing else "engagement_recent")
    chosen, sizes = _split_ties(engine, plan, chosen, bars, targets, sizes, ranks_ties, not engagement.missing)
    chosen, sizes = _capped(engine, plan, chosen, bars, sizes, _ranking(size, not engagement.missing))
    tiers = _built(chosen, bars)
    notes = tuple(_tier_note(tier, cut, rank, scores, size, engagement, i == 0 and intent is not None)
                  for i, (tier, cut, rank, size) in enumerate(zip(tiers, chosen, targets, sizes, strict=True)))
    return tiers, (*customer_notes, *notes, *_unranked(chosen, size, engagement))


def _unranked(chosen: list[_TierCut], size: str | None, engagement: _Engagement) -> tuple[str, ...]:
    """What nothing in the file could rank, said plainly, with what would: tiers left off because the whole tie
    would otherwise be split by id, and a limit that falls back on the id."""
    notes = []
    off = [f"Tier {i + 1}" for i, cut in enumerate(chosen) if not cut.enabled]
    if off:
        notes.append(f"{' and '.join(off)} {'is' if len(off) == 1 else 'are'} disabled: the accounts at the top fit "
                     "score tie, and nothing in the file ranks them (no revenue, headcount, size figure or "
                     "engagement), so they go to the first tier their number fits rather than be split by id; map "
                     "annual_revenue or employees in [data.columns], or add a fit criterion, then enable the tier")
    if size is None and engagement.missing and any(cut.limit is not None for cut in chosen):
        notes.append("the tiers' limits keep the best by fit_score, then account_id: nothing in the file ranks "
                     "accounts of one score; map annual_revenue or employees in [data.columns]")
    return tuple(notes)


def _targets(accounts: int, scored: int) -> list[int]:
    """Cumulative ranks each tier reaches, never past the accounts that meet a criterion: when fewer
    than a quarter score at all, the quantiles are taken over those, so Tier 3 is not a tie at 0."""
    population = min(accounts, scored / _TIERS[-1][2])
    return [min(scored, max(i + 1, math.ceil(share * population))) for i, (_, _, share, _) in enumerate(_TIERS)]


def _nearest_level(ranked: np.ndarray, rank: int) -> int:
    """The achievable score whose reach (accounts at or above it) is nearest `rank`: the score at that
    rank, or the next higher one when a big tie at the quantile would overshoot by more."""
    at = ranked[rank - 1]
    above = np.count_nonzero(ranked > at)
    if above and rank - above < np.count_nonzero(ranked >= at) - rank:
        return int(ranked[above - 1])
    return int(at)


def _reach_engaged(engine: Engine, plan: Plan, chosen: list[_TierCut], bars: _Bars, ranked: np.ndarray,
                   sizes: list[int]) -> tuple[list[_TierCut], list[int]]:
    """If no account at Tier 1's fit is recently engaged enough, Tier 1 reaches down one achievable
    score at a time, but never below Tier 3's: a 1:1 account must still be a target."""
    lower = [int(s) for s in np.unique(ranked)[::-1] if chosen[-1].threshold <= s < chosen[0].threshold]
    for level in lower:
        if sizes[0]:
            break
        chosen[0] = replace(chosen[0], threshold=level)
        sizes = _sizes(engine, plan, chosen, bars)
    return chosen, sizes


def _capped(engine: Engine, plan: Plan, chosen: list[_TierCut], bars: _Bars, sizes: list[int],
            ranking: tuple[str, ...] | None) -> tuple[list[_TierCut], list[int]]:
    """A tier gets its cap only when it would be bigger than the seeds' guidance for its motion (1:1 at most
    50, 1:many at most 1,000), so a list that fits has no limit to puzzle over; the limit keeps the best by
    fit, then engagement, then size."""
    for i, (*_, cap) in enumerate(_TIERS):
        if cap is not None and sizes[i] > cap:
            chosen[i] = replace(chosen[i], limit=cap, rank_by=ranking)
            sizes = _sizes(engine, plan, chosen, bars)
    return chosen, sizes


def _split_ties(engine: Engine, plan: Plan, chosen: list[_TierCut], bars: _Bars, targets: list[int],
                sizes: list[int], column: str | None, engaged: bool) -> tuple[list[_TierCut], list[int]]:
    """Scores are discrete, so one score can straddle two quantiles (Forbes: 98 at the top score for a Tier 1
    of 20, and with few fit columns all three tiers at the top score). Then the tier above would take the whole
    tie and leave the next tier empty or smaller than itself, so it takes the biggest of the tie by `column`
    (`_size_column`, else engagement_recent): a `min` the planner sees and can change, and the rest of the tie
    goes on down. When too few accounts have a figure, engagement ranks the tie through a limit of the tier's
    intended size; with no engagement either, the tier is disabled and the tie goes on down whole, never split
    by id."""
    values = None if column is None else engine.frame(plan).get_column(column).cast(pl.Float64).to_numpy()
    for i in range(len(chosen) - 1):
        want = max(1, min(targets[i] - sum(sizes[:i]), _TIERS[i][3]))
        tied = chosen[i].threshold == chosen[i + 1].threshold
        if not ((tied or sizes[i + 1] == 0 or sizes[i] > sizes[i + 1]) and sizes[i] > want):
            continue
        cut = None if values is None else _biggest(values[_codes(engine, plan, chosen, bars) == i], want)
        if cut is not None and column is not None:
            tie = int(np.count_nonzero(_codes(engine, plan, chosen, bars) == i))
            chosen[i] = replace(chosen[i], size_cut=Compare(column, "min", cut), tied=tie)
        elif engaged:
            chosen[i] = replace(chosen[i], limit=want)
        elif tied:
            chosen[i] = replace(chosen[i], enabled=False)
        sizes = _sizes(engine, plan, chosen, bars)
    return chosen, sizes


def _biggest(values: np.ndarray, want: int) -> int | float | None:
    """The figure the `want`-th biggest of `values` has (a `min` there keeps them), or None when too few are known."""
    known = np.sort(values[~np.isnan(values)])[::-1]
    if known.size <= want:
        return None
    cut = float(known[want - 1])
    return int(cut) if cut.is_integer() else cut


def _built(chosen: list[_TierCut], bars: _Bars) -> tuple[Tier, ...]:
    tiers = []
    for i, ((name, motion, _, _), cut) in enumerate(zip(_TIERS, chosen, strict=True)):
        size = (cut.size_cut,) if cut.size_cut is not None else ()
        extra = bars.extra(i)
        if cut.size_cut is not None and bars.intent is not None and cut.size_cut.column == bars.intent.column:
            extra = tuple(c for c in extra if c is not bars.intent)  # Tier 1's engagement bar, raised by the cut
        where = AllOf((Compare("fit_score", "min", cut.threshold), *size, *extra))
        tiers.append(Tier(name, where, motion, cut.limit, cut.enabled, cut.rank_by))
    return tuple(tiers)


def _codes(engine: Engine, plan: Plan, chosen: list[_TierCut], bars: _Bars) -> np.ndarray:
    return engine.tiers(replace(plan, tiers=_built(chosen, bars)))[0]


def _sizes(engine: Engine, plan: Plan, chosen: list[_TierCut], bars: _Bars) -> list[int]:
    codes = _codes(engine, plan, chosen, bars)
    return np.bincount(codes, minlength=len(chosen) + 1)[: len(chosen)].tolist()


def _tier_note(tier: Tier, cut: _TierCut, rank: int, scores: np.ndarray, size: int, engagement: _Engagement,
               engaged: bool) -> str:
    quantile = f"the achievable score nearest the top {rank / scores.size:.1%} ({rank:,} of {scores.size:,})"
    if cut.threshold != cut.quantile_score:
        quantile = (f"lowered from {cut.quantile_score} ({quantile}) because no account scoring that was "
                    "engaged enough")
    reached = int(np.count_nonzero(scores >= cut.threshold))
    note = f"{tier.name} ({tier.motion}): fit_score ≥ {cut.threshold}, {quantile}; {_accounts(reached)} reach it"
    by_engagement = cut.size_cut is not None and cut.size_cut.column == "engagement_recent"
    if engaged and not by_engagement:
        note += (f"; and engagement_recent ≥ {format_value(engagement.recent_p75)} (75th percentile among "
                 f"{engagement.recent_engaged:,} recently engaged accounts)")
    if cut.size_cut is not None:
        most = "most engaged" if by_engagement else "biggest"
        note += (f"; and {rules.describe(AllOf((cut.size_cut,)))}, the {most} of the {cut.tied:,} accounts the fit "
                 "score alone would put here")
    if cut.limit is not None:
        ranking = ", then ".join(tier.ranking(not engagement.missing))
        note += f"; limit {cut.limit:,} (the best by {ranking}, then account_id)"
    if not cut.enabled:
        note += "; disabled, as nothing in the file ranks the tie (below)"
    return f"{note}: {_accounts(size)}"


def _accounts(n: int) -> str:
    return f"{n:,} account" + ("" if n == 1 else "s")


def _plays(tiers: tuple[Tier, ...]) -> tuple[Play, ...]:
    """One play per tier: the motion decides the programme; stage- and bucket-specific plays are the
    planner's to add once the matrix shows where the accounts sit."""
    plays = []
    for tier in tiers:
        campaign, cta, action = _PLAYS[tier.motion or ""]
        plays.append(Play(tier=(tier.name,), campaign=campaign, cta=cta, sales_action=action))
    return tuple(plays)
