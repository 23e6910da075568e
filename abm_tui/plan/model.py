"""The plan's model (TOML format version 1): conditions, rules, settings and the Plan itself.

A plan is immutable; a tweak makes a new plan (`dataclasses.replace`), so the session's history is
just a list of plans and every cache can key on a rule's value. Parsing (`plan.parse`) and saving
(`plan.dump`) live beside it; problems that need the data are found by `plan.validate`.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
PRESETS = ("auto", "canonical", "hubspot", "salesforce", "linkedin")
DESTINATIONS = ("hubspot", "salesforce", "linkedin", "sql")
LIST_SPLITS = ("segment", "tier")
HUBSPOT_KEYS = ("auto", "record_id", "domain")
# written by hand and run in the tests; then the warehouses plan.sql reaches through sqlglot from DuckDB's SQL
SQL_DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "redshift", "databricks")
LINKEDIN_MIN_SIZE = 300  # LinkedIn refuses to run a matched audience smaller than this

Scalar = str | int | float | bool | dt.date

# --- conditions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Compare:
    """`column = {op = value}`: one comparison; `value` is a tuple for `in` / `not_in`."""

    column: str
    op: str
    value: Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class AllOf:
    """A `where` table: every entry must hold; empty matches every account.

    Items are kept as a TOML table would hold them (nested AllOfs flattened, tests of one column
    side by side), so that two trees meaning the same table are equal and a plan built in code
    writes and reads back as the same plan.
    """

    items: tuple[Condition, ...] = ()

    def __post_init__(self) -> None:
        flat = [x for item in self.items for x in (item.items if isinstance(item, AllOf) else (item,))]
        first: dict[str, int] = {}
        for item in flat:
            first.setdefault(_table_key(item), len(first))
        ordered = tuple(sorted(flat, key=lambda item: first[_table_key(item)]))
        if ordered != self.items:
            object.__setattr__(self, "items", ordered)


def _table_key(item: Condition) -> str:
    """The key a condition is written under in a where table."""
    if isinstance(item, Compare):
        return item.column
    return {AnyOf: "any", Not: "not", Sql: "sql"}[type(item)]


def _as_table(condition: Condition) -> AllOf:
    return condition if isinstance(condition, AllOf) else AllOf((condition,))


@dataclass(frozen=True)
class AnyOf:
    """`any = [where, ...]`: each alternative is a where table of its own."""

    items: tuple[AllOf, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(_as_table(item) for item in self.items))


@dataclass(frozen=True)
class Not:
    """`not = where`."""

    item: AllOf

    def __post_init__(self) -> None:
        object.__setattr__(self, "item", _as_table(self.item))


@dataclass(frozen=True)
class Sql:
    text: str


Condition = Compare | AllOf | AnyOf | Not | Sql
MATCH_ALL = AllOf()


# --- rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    name: str
    points: int
    where: AllOf = MATCH_ALL
    enabled: bool = True


DEFAULT_RANKING = ("fit_score", "engagement_recent")


@dataclass(frozen=True)
class Tier:
    name: str
    where: AllOf = MATCH_ALL
    motion: str | None = None
    limit: int | None = None
    enabled: bool = True
    rank_by: tuple[str, ...] | None = None  # the order a limit keeps its best by; None is the default ranking

    def ranking(self, has_engagement: bool) -> tuple[str, ...]:
        """The columns a limit ranks by, highest first; account_id breaks what ties remain.

        The default is the design's (fit_score, then engagement_recent); a plan without engagement
        data has no engagement_recent, so its default is fit_score alone.
        """
        if self.rank_by is not None:
            return self.rank_by
        return DEFAULT_RANKING if has_engagement else DEFAULT_RANKING[:1]


@dataclass(frozen=True)
class Rule:
    """A stage or bucket rule: a name and a condition, first match wins."""

    name: str
    where: AllOf = MATCH_ALL
    enabled: bool = True


@dataclass(frozen=True)
class Play:
    """An omitted tier, stage or bucket matches any; a tuple matches any of its names."""

    tier: tuple[str, ...] | None = None
    stage: tuple[str, ...] | None = None
    bucket: tuple[str, ...] | None = None
    campaign: str = ""
    cta: str = ""
    sales_action: str = ""
    name: str | None = None


@dataclass(frozen=True)
class DataSource:
    accounts: str = "accounts.csv"
    engagement: str | None = None
    preset: str = "auto"
    columns: tuple[tuple[str, str], ...] = ()
    sheet: str | None = None  # the accounts workbook's sheet; None: the first
    contacts: str | None = None  # the people at the accounts (HubSpot contacts, a Salesforce contact report, ...)
    contact_columns: tuple[tuple[str, str], ...] = ()  # canonical contact name = header in the contacts file


@dataclass(frozen=True)
class ExportSettings:
    """`[export]`: where `run` sends the segments besides its own files, and how each target wants them."""

    to: tuple[str, ...] = ()
    hubspot_key: str = "auto"
    linkedin_per: str = "segment"
    linkedin_min_size: int = LINKEDIN_MIN_SIZE
    sql_dialect: str = "duckdb"
    accounts_table: str = "accounts"
    events_table: str = "events"


@dataclass(frozen=True)
class EngagementSettings:
    recent_days: int = 30
    window_days: int = 90
    weights: tuple[tuple[str, float], ...] = ()
    half_life_days: tuple[tuple[str, float], ...] = ()  # channels whose events fade with age; others count fully

    def weight(self, channel: str) -> float:
        return dict(self.weights).get(channel, 1.0)

    def half_life(self, channel: str) -> float | None:
        return dict(self.half_life_days).get(channel)


@dataclass(frozen=True)
class HistorySettings:
    """`[history]`: the folder, relative to the plan, where every `run` keeps its dated snapshot."""

    folder: str = "history"


@dataclass(frozen=True)
class Plan:
    name: str = "Untitled plan"
    as_of: dt.date | None = None
    data: DataSource = DataSource()
    engagement: EngagementSettings = EngagementSettings()
    criteria: tuple[Criterion, ...] = ()
    tiers: tuple[Tier, ...] = ()
    stages: tuple[Rule, ...] = ()
    buckets: tuple[Rule, ...] = ()
    plays: tuple[Play, ...] = ()
    export: ExportSettings = ExportSettings()
    history: HistorySettings = HistorySettings()
    personas: tuple[Rule, ...] = ()  # first match over a contact's function, seniority, job_title; (): the seeds'
    version: int = FORMAT_VERSION
    base_dir: Path = field(default=Path("."), compare=False)
    source: str = field(default="plan", compare=False)  # the file it was read from, for messages

    def resolve(self, relative: str) -> Path:
        """Data paths are relative to the plan file, so a plan folder can move as a whole; `..` steps are
        folded so messages name the file as a planner would (`/data/x.csv`, not `/plans/../data/x.csv`)."""
        path = Path(relative).expanduser()
        return path if path.is_absolute() else Path(os.path.normpath(self.base_dir / path))



AnyRule = Criterion | Tier | Rule


class Section(StrEnum):
    """A section of rules, named as the Plan's field: the one spelling edits, trees and messages share.

    The TOML writes the criteria under `[fit]` (`fit.criteria`); `Section.parse` accepts "fit" too.
    """

    CRITERIA = "criteria"
    TIERS = "tiers"
    STAGES = "stages"
    BUCKETS = "buckets"

    @classmethod
    def parse(cls, text: str) -> Section:
        return cls.CRITERIA if text == "fit" else cls(text)

    @property
    def key(self) -> str:
        """The section's key path in the TOML, as messages name it."""
        return "fit.criteria" if self is Section.CRITERIA else self.value

    @property
    def fallback(self) -> str | None:
        """The label of accounts no rule of this section takes: a name no rule may have."""
        return {Section.TIERS: NOT_TARGET, Section.STAGES: UNSTAGED, Section.BUCKETS: UNCLASSIFIED}.get(self)

    @property
    def play_key(self) -> str | None:
        """The play key that names this section's rules (criteria are not named by plays)."""
        return None if self is Section.CRITERIA else self.value[:-1]

    def rules(self, plan: Plan) -> tuple[AnyRule, ...]:
        found: tuple[AnyRule, ...] = getattr(plan, self.value)
        return found

    def with_rules(self, plan: Plan, rules: tuple[AnyRule, ...]) -> Plan:
        changes: dict[str, Any] = {self.value: rules}
        return replace(plan, **changes)


class Dimension(StrEnum):
    """A label the plan gives every account: a column of the assignments, a way to group the matrix,
    the review and a diff. Tier, stage and bucket come from rule sections; the segment and the play
    follow from them."""

    SEGMENT = "segment"
    TIER = "tier"
    STAGE = "stage"
    BUCKET = "bucket"
    PLAY = "play"


FLOW_DIMENSIONS = tuple(Dimension)  # what moves between two snapshots, and what a review groups by
RULE_DIMENSIONS = (Dimension.TIER, Dimension.STAGE, Dimension.BUCKET)  # those a section of rules decides


NOT_TARGET = "Not target"
UNSTAGED = "Unstaged"
UNCLASSIFIED = "Unclassified"
NO_PLAY = "No play"
# What each section's rules may read besides the account and engagement columns: sections are
# computed in this order (fit, bucket, stage, tier), so a rule sees only what comes before it.
VISIBLE = {"fit": (), "bucket": ("fit",), "stage": ("fit", "bucket"), "tier": ("fit", "bucket", "stage")}


def play_label(play: Play) -> str:
    """A play's own name, else its keys joined, as the seeds' planning matrix names segments."""
    if play.name:
        return play.name
    parts = [" or ".join(names) for names in (play.tier, play.stage, play.bucket) if names]
    return " + ".join(parts) if parts else "All accounts"


def plain_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
