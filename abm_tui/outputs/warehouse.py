"""The whole plan as one SQL query, so a warehouse can segment the accounts where they live.

The query is assembled from the pieces the Polars engine uses: every rule through `rules.to_sql`
(the design's two-valued logic), the feature definitions of `features`, first match in plan order,
and a tier `limit` as the best N by its ranking (`rank_by`, by default fit_score then engagement_recent),
then account_id. It is
written to be read, because an analyst reviews it before scheduling it: one CTE per step, a line
above each saying what it is, and each rule in words beside its SQL.

DuckDB's and Postgres' texts are written here and run in the tests. Snowflake, BigQuery, Redshift and
Databricks get DuckDB's text translated by sqlglot (the parser `plan.sql_rule` already trusts), so there
is one query to keep right rather than six; the DuckDB text therefore sticks to constructs sqlglot
translates faithfully (DATE_DIFF, list_concat, no ordered aggregates), and a construct it cannot
translate stops the export instead of writing SQL that means something else. Beside the query come the
tables it reads: `CREATE TABLE` statements for the canonical columns and a load script per dialect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl
import sqlglot
from polars.datatypes import DataTypeClass
from sqlglot import exp

from abm_tui.engine.features import (
    CHANNELS,
    LIST_FEATURES,
    PASSIVE_CHANNELS,
    PERIODS,
    decayed_name,
    decaying,
    feature_names,
)
from abm_tui.errors import AbmError, PlanError, first_line
from abm_tui.files import LOAD_SUFFIX
from abm_tui.plan import rules
from abm_tui.plan.model import (
    NO_PLAY,
    NOT_TARGET,
    SQL_DIALECTS,
    UNCLASSIFIED,
    UNSTAGED,
    AllOf,
    Plan,
    Play,
    Rule,
    Section,
    Tier,
    play_label,
)
from abm_tui.plan.validate import DERIVED_TYPES, check_plan

DIALECTS = SQL_DIALECTS
WRITTEN = ("duckdb", "postgres")  # written by hand; the other dialects are DuckDB's text through sqlglot
OUTPUT_COLUMNS = ("account_id", "fit_score", "tier", "stage", "bucket", "segment", "play")
_q = rules.quote_identifier
_ID = _q("account_id")
_EMPTY_LIST = "CAST(ARRAY[] AS TEXT[])"


def plan_sql(
    plan: Plan, schema: Mapping[str, pl.DataType], channels: tuple[str, ...] | None, as_of: dt.date,
    dialect: str = "duckdb", accounts_table: str = "accounts", events_table: str = "events",
) -> str:
    """One `WITH ... SELECT` giving each account's account_id, fit_score, tier, stage, bucket, segment and play.

    What is guaranteed: on tables holding what abm-tui's ingest produces (accounts with a unique
    `account_id` and the columns of `schema`; events with `account_id`, `date`, `channel` in lower
    case, `count` (missing counts 1), and `intent_theme` / `persona` when a rule reads themes or
    personas), the query assigns every account as `Engine.assign` does. `channels` must list every
    channel the events hold, as `features.channels_in` does (None: no events, and no events CTE).
    Text is ordered byte-wise as Polars orders it: DuckDB's default collation already does, and on
    Postgres the query says `COLLATE "C"`.

    `sql = "..."` rules are rendered from the same checked parse tree the engine uses
    (`plan.sql_rule`): columns quoted, comments dropped, true division with division by zero giving
    a missing value, only functions every dialect here runs alike. Engagement scores add the channels left to right
    in `channels` order, while the engine's `sum_horizontal` adds them in an order that depends on
    its thread count: with weights such as 0.1 a score can differ in its last bit, which can only
    move an account sitting exactly on a threshold or on a limit's tie. The same holds for a channel
    with a half-life: each event counts `count * POWER(0.5, age / h)` as in the engine, but the
    warehouse adds those fractions in an order of its own.

    The plan is validated against `schema` first, so a plan the workbench would refuse raises the
    same PlanError here.
    """
    if dialect not in DIALECTS:
        raise AbmError(f"unknown SQL dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")
    base = dialect if dialect in WRITTEN else "duckdb"
    half_lives = plan.engagement.half_life_days
    known = _schema_with_features(schema, channels, half_lives)
    problems = check_plan(plan, known, set() if channels is not None else set(feature_names(CHANNELS, half_lives)))
    if problems:
        raise PlanError(plan.source, problems)
    query = _Query(plan, known, channels, base)
    accounts = _table(accounts_table, "accounts_table")
    ctes = [*query.engagement(as_of, _table(events_table, "events_table")), query.features(accounts),
            query.fit(), query.first_match("buckets", plan.buckets, "bucket", UNCLASSIFIED, "fit"),
            query.first_match("stages", plan.stages, "stage", UNSTAGED, "buckets"), *query.tiers()]
    text = "\n".join(["WITH", _join_ctes(ctes), query.final(ctes[-1].name)])
    if dialect != base:
        text = translated(text, dialect)
    return "\n".join([*query.header(as_of, accounts_table, events_table, dialect), text + ";"]) + "\n"


def translated(text: str, dialect: str) -> str:
    """DuckDB's SQL in `dialect`, by sqlglot; a construct it cannot carry over faithfully is an error, not a guess."""
    try:
        return sqlglot.transpile(text, read="duckdb", write=dialect, pretty=True,
                                 unsupported_level=sqlglot.ErrorLevel.RAISE)[0]
    except sqlglot.errors.SqlglotError as err:
        raise AbmError(f"this plan cannot be written for {dialect}: {first_line(err)}") from None


@dataclass(frozen=True)
class _Cte:
    name: str
    comment: str
    body: str


def columns_read(plan: Plan) -> set[str]:
    """Every column the plan's enabled rules name, and those a tier's limit is told to rank by."""
    wheres = [rule.where for section in Section for rule in section.rules(plan) if rule.enabled]
    ranks = [tier.rank_by or () for tier in plan.tiers if tier.enabled and tier.limit is not None]
    return set().union(*(rules.columns(where) for where in wheres), *map(set, ranks))


def _join_ctes(ctes: Sequence[_Cte]) -> str:
    return ",\n".join(f"{_comment(c.comment)}\n{c.name} AS (\n{c.body}\n)" for c in ctes)


def _comment(text: str) -> str:
    """A `--` line comment; names and rules may hold line breaks, which would end the comment early."""
    return "-- " + " ".join(text.split())


def _table(name: str, what: str) -> str:
    parts = name.split(".")
    if not all(part.strip() for part in parts):
        raise AbmError(f"{what} {name!r}: expected a table name such as accounts or crm.accounts")
    return ".".join(_q(part) for part in parts)


def _schema_with_features(
    schema: Mapping[str, pl.DataType], channels: tuple[str, ...] | None, half_lives: tuple[tuple[str, float], ...]
) -> dict[str, pl.DataType]:
    """The accounts' columns and, with events, the features: what a rule may name, typed as validation needs."""
    known = dict(schema)
    if channels is not None:
        typed = {name: pl.List(pl.String) for name in LIST_FEATURES} | {"top_intent_theme": pl.String()}
        known.update({name: typed.get(name, pl.Float64()) for name in feature_names(channels, half_lives)})
    return known


def _names(values: Sequence[str]) -> str:
    return ", ".join(rules.sql_literal(v) for v in values)


def _indent(text: str, spaces: int) -> str:
    return text.replace("\n", "\n" + " " * spaces)


def _alias(expr: str, column: str) -> str:
    """`expr AS "column"`; an expression ending in a line comment ends with a line break, so AS starts a line."""
    gap = "" if expr.endswith("\n") else " "
    return f"{_indent(expr, 4)}{gap}AS {_q(column)}"


_THEMES = ("intent_themes", "top_intent_theme")
_PERSONAS = ("personas_engaged", "persona_count")


class _Query:
    """The CTEs of one plan in evaluation order, each adding a column to the one before.

    `columns` is what the latest CTE carries besides account_id, so that a derived column can
    replace an account column of the same name, as it does in the engine (`fit_score` read by a
    fit criterion is the file's column; read by a tier rule it is the computed one).
    """

    def __init__(
        self, plan: Plan, schema: dict[str, pl.DataType], channels: tuple[str, ...] | None, dialect: str
    ) -> None:
        self.plan = plan
        self.schema = schema
        self.channels = channels
        self.dialect = dialect
        self.half_lives = dict(plan.engagement.half_life_days)
        self.decaying = decaying(channels or (), plan.engagement.half_life_days)
        self.feature_columns = (set(feature_names(channels, plan.engagement.half_life_days)) if channels is not None
                                else set())
        self.used = self._used_columns()
        self.columns: list[str] = []
        self.tier_columns: list[str] = []

    def _used_columns(self) -> set[str]:
        used = columns_read(self.plan)
        for tier in self.plan.tiers:
            if tier.enabled and tier.limit is not None:
                used.update(tier.ranking(self.channels is not None))  # what a limit ranks by
        return used - {"account_id"}

    def _internal(self, name: str) -> str:
        """A working column name that no rule reads, so it never hides an account column."""
        while name in self.used or name in self.schema:
            name = "_" + name
        return name

    def _collate(self, column: str) -> str:
        return f'{column} COLLATE "C"' if self.dialect == "postgres" else column

    def _where(self, where: AllOf, derived: bool = True) -> str:
        """Rules after the fit criteria see the derived columns too (fit_criteria_met is a list)."""
        schema = {**self.schema, **DERIVED_TYPES} if derived else self.schema
        return rules.to_sql(where, schema, self.dialect)

    def _step(self, name: str, comment: str, source: str, new: Sequence[tuple[str, str]],
              alias: str | None = None) -> _Cte:
        """SELECT the previous CTE's columns plus `new`; listed one by one only where a new one replaces one."""
        replaced = {column for column, _ in new}
        if replaced & set(self.columns):
            kept = [c for c in self.columns if c not in replaced]
            carried = ", ".join([_ID, *map(_q, kept)])
        else:
            kept, carried = self.columns, f"{alias or source}.*"
        self.columns = kept + [column for column, _ in new]
        select = ",\n    ".join([carried, *(_alias(expr, column) for column, expr in new)])
        return _Cte(name, comment, f"  SELECT {select}\n  FROM {source}")

    # -- comments ---------------------------------------------------------------------------

    def header(self, as_of: dt.date, accounts_table: str, events_table: str, dialect: str) -> list[str]:
        plan, settings = self.plan, self.plan.engagement
        reads = "".join(f", {c}" for c in self._account_reads())
        how = "" if dialect == self.dialect else f" (DuckDB's text translated by sqlglot {sqlglot.__version__})"
        lines = [
            f'abm-tui plan "{plan.name}", as one {dialect} query{how}.',
            f"One row per account ({', '.join(OUTPUT_COLUMNS)}), ordered by account_id.",
            f"Reads {accounts_table} (account_id{reads}).",
        ]
        if self.channels is not None:
            labels = "".join(f", {c}" for c in ("intent_theme", "persona") if self._reads_label(c))
            lines.append(f"Reads {events_table} (account_id, date, channel, count{labels}) as of {as_of.isoformat()}: "
                         f"recent = the last {settings.recent_days} days, window = the last "
                         f"{settings.window_days} days.")
            if self.decaying:
                lines.append("Engagement scores decay: an event of age a days counts count * 0.5 ^ (a / half-life) in "
                             + ", ".join(self._half_lives()) + ".")
        sections = (("fit criterion", plan.criteria), ("bucket", plan.buckets), ("stage", plan.stages),
                    ("tier", plan.tiers))
        disabled = [f'{what} "{rule.name}"' for what, listed in sections for rule in listed if not rule.enabled]
        if disabled:
            lines.append("Disabled, so left out: " + ", ".join(disabled) + ".")
        return [_comment(line) for line in lines]

    def _half_lives(self) -> list[str]:
        return [f"{c} (half-life {rules.format_value(self.half_lives[c])} days)" for c in self.decaying]

    def _account_reads(self) -> list[str]:
        return sorted(self.used & (set(self.schema) - self.feature_columns))

    def _reads_label(self, column: str) -> bool:
        return bool(self.used & set(_THEMES if column == "intent_theme" else _PERSONAS))

    # -- engagement -------------------------------------------------------------------------

    def engagement(self, as_of: dt.date, events_table: str) -> list[_Cte]:
        if self.channels is None:
            return []
        ctes = [self._events(as_of, events_table), self._channel_counts(), self._scores()]
        window = self.plan.engagement.window_days
        if self._reads_label("intent_theme"):
            rank = (f'ROW_NUMBER() OVER (PARTITION BY {_ID} ORDER BY SUM("count") DESC, '
                    f'{self._collate(_q("intent_theme"))})')
            ctes.append(_Cte(
                "intent", f"intent: each account's intent themes of the last {window} days, and the most engaged one "
                "(ties by name)",
                f'  SELECT {_ID}, array_agg("intent_theme") AS "intent_themes",\n'
                '    MAX(CASE WHEN "rank" = 1 THEN "intent_theme" END) AS "top_intent_theme"\n'
                f'  FROM (SELECT {_ID}, "intent_theme", {rank} AS "rank" FROM events_as_of\n'
                f'        WHERE "age" < {window} AND "intent_theme" IS NOT NULL\n'
                f'        GROUP BY {_ID}, "intent_theme") AS per_theme\n'
                f"  GROUP BY {_ID}",
            ))
        if self._reads_label("persona"):
            ctes.append(_Cte(
                "personas", f"personas: the distinct personas each account engaged in the last {window} days",
                f'  SELECT {_ID}, array_agg("persona") AS "personas_engaged",'
                ' COUNT(*) AS "persona_count"\n'
                f'  FROM (SELECT DISTINCT {_ID}, "persona" FROM events_as_of\n'
                f'        WHERE "age" < {window} AND "persona" IS NOT NULL) AS seen\n'
                f"  GROUP BY {_ID}",
            ))
        return ctes

    def _events(self, as_of: dt.date, events_table: str) -> _Cte:
        date = rules.sql_literal(as_of)
        labels = "".join(f",\n    CAST({_q(c)} AS TEXT) AS {_q(c)}" for c in ("intent_theme", "persona")
                         if self._reads_label(c))
        return _Cte(
            "events_as_of", f"events_as_of: the events dated on or before {as_of.isoformat()} and their age in days; "
            "later events are ignored, a missing count counts 1",
            f'  SELECT CAST({_ID} AS TEXT) AS {_ID}, CAST("channel" AS TEXT) AS "channel",\n'
            '    COALESCE(CAST("count" AS DOUBLE PRECISION), 1) AS "count",\n'
            f'    {self._age(date)} AS "age"{labels}\n'
            f"  FROM {events_table}\n"
            f'  WHERE "channel" IS NOT NULL AND CAST("date" AS DATE) <= {date}',
        )

    def _age(self, as_of: str) -> str:
        """Days from the event to as_of; DATE_DIFF is what sqlglot carries to every warehouse (a date minus a date
        is an interval on BigQuery and Databricks)."""
        if self.dialect == "postgres":
            return f'{as_of} - CAST("date" AS DATE)'
        return f"DATE_DIFF('day', CAST(\"date\" AS DATE), {as_of})"

    def _channel_counts(self) -> _Cte:
        settings = self.plan.engagement
        within = {"recent": f' AND "age" < {settings.recent_days}', "window": f' AND "age" < {settings.window_days}',
                  "total": ""}
        sums = [
            f'SUM(CASE WHEN "channel" = {rules.sql_literal(c)}{within[p]} THEN "count" ELSE 0 END) AS {_q(f"{c}_{p}")}'
            for c in self.channels or () for p in PERIODS
        ]
        sums += [
            f'SUM(CASE WHEN "channel" = {rules.sql_literal(c)}{within[p]} THEN "count" * '
            f'POWER(0.5, CAST("age" AS DOUBLE PRECISION) / {rules.sql_literal(self.half_lives[c])}) '
            f"ELSE 0 END) AS {_q(decayed_name(c, p))}"
            for c in self.decaying for p in PERIODS
        ]
        sums.append(f'MIN(CASE WHEN "channel" NOT IN ({_names(PASSIVE_CHANNELS)}) THEN "age" END) '
                    'AS "days_since_engaged"')
        decayed = (f"; _decayed: the same sums with each event worth count * 0.5 ^ (age / half-life), for "
                   f"{', '.join(self._half_lives())}" if self.decaying else "")
        return _Cte(
            "channel_counts", f"channel_counts: per account and channel, the sum of count in the last "
            f"{settings.recent_days} days (_recent), the last {settings.window_days} days (_window) and ever (_total)"
            f"{decayed}; days_since_engaged counts from the last event other than an ad impression",
            f"  SELECT {_ID},\n    " + ",\n    ".join(sums) + f"\n  FROM events_as_of\n  GROUP BY {_ID}",
        )

    def _scores(self) -> _Cte:
        settings = self.plan.engagement
        channels = self.channels or ()

        def column(channel: str, period: str) -> str:
            return _q(decayed_name(channel, period) if channel in self.decaying else f"{channel}_{period}")

        def score(period: str) -> str:
            terms = [f"{column(c, period)} * {rules.sql_literal(settings.weight(c))}" for c in channels]
            return "\n      + ".join(terms) if terms else "CAST(0 AS DOUBLE PRECISION)"

        weights = ", ".join(f"{c} {rules.format_value(settings.weight(c))}" for c in channels)
        decayed = "; a channel with a half-life adds its _decayed sums" if self.decaying else ""
        return _Cte(
            "engagement", f"engagement: the weighted scores, added channel by channel in this order ({weights}; "
            f"a channel the plan does not weigh counts 1{decayed})",
            "  SELECT channel_counts.*,\n    " + ",\n    ".join(f'{score(p)}\n    AS "engagement_{p}"' for p in PERIODS)
            + "\n  FROM channel_counts",
        )

    # -- accounts ---------------------------------------------------------------------------

    def features(self, accounts_table: str) -> _Cte:
        """Every account once; no events means zero counts and empty lists, as the engine has them."""
        reads = self._account_reads()
        engaged = sorted(self.used & self.feature_columns)
        select = [f"CAST(a.{_ID} AS TEXT) AS {_ID}", *(f"a.{_q(c)}" for c in reads)]
        select += [f"{self._feature(name)} AS {_q(name)}" for name in engaged]
        joins = []
        if self.channels is not None:
            joins = [("engagement", "e")] + [(cte, alias) for cte, alias, label in
                                             (("intent", "t", "intent_theme"), ("personas", "p", "persona"))
                                             if self._reads_label(label)]
        self.columns = reads + engaged
        source = f"{accounts_table} AS a" + "".join(
            f"\n  LEFT JOIN {cte} AS {alias} ON {alias}.{_ID} = CAST(a.{_ID} AS TEXT)" for cte, alias in joins
        )
        what = " and its engagement features" if self.channels is not None else ""
        return _Cte("features", f"features: every account with the columns its rules read{what}",
                    "  SELECT " + ",\n    ".join(select) + f"\n  FROM {source}")

    def _feature(self, name: str) -> str:
        if name in ("days_since_engaged", "top_intent_theme"):
            return f"{'t' if name in _THEMES else 'e'}.{_q(name)}"
        alias = "t" if name in _THEMES else "p" if name in _PERSONAS else "e"
        return f"COALESCE({alias}.{_q(name)}, {_EMPTY_LIST if name in LIST_FEATURES else '0'})"

    # -- sections ---------------------------------------------------------------------------

    def fit(self) -> _Cte:
        active = [c for c in self.plan.criteria if c.enabled]
        terms = [f"CASE WHEN {self._where(c.where, derived=False)} THEN {c.points} ELSE 0 END  {_comment(c.name)}"
                 for c in active]
        new = [("fit_score", "  " + "\n+ ".join(terms) + "\n" if terms else "0")]
        if "fit_criteria_met" in self.used:
            met = [f"CASE WHEN {self._where(c.where, derived=False)} THEN ARRAY[{rules.sql_literal(c.name)}] "
                   f"ELSE {_EMPTY_LIST} END" for c in active]
            new.append(("fit_criteria_met", self._concat(met) if met else _EMPTY_LIST))
        return self._step("fit", "fit: fit_score = the sum of the points of the fit criteria the account meets",
                          "features", new)

    def _concat(self, lists: Sequence[str]) -> str:
        """Lists one after another: `||` on Postgres; list_concat on DuckDB, as sqlglot reads `||` as text."""
        if self.dialect == "postgres":
            return "\n|| ".join(lists)
        joined = lists[0]
        for item in lists[1:]:
            joined = f"list_concat({joined},\n{item})"
        return joined

    def first_match(self, name: str, section: Sequence[Rule], column: str, fallback: str, source: str) -> _Cte:
        whens = [f"\n  WHEN {self._where(r.where)} THEN {rules.sql_literal(r.name)}  "
                 + _comment(rules.describe(r.where)) for r in section if r.enabled]
        case = "CASE" + "".join(whens) + f"\n  ELSE {rules.sql_literal(fallback)}\nEND"
        return self._step(name, f"{name}: the first {column} rule that holds, in plan order; else {fallback}",
                          source, [(column, case if whens else rules.sql_literal(fallback))])

    def tiers(self) -> list[_Cte]:
        ctes: list[_Cte] = []
        source = "stages"
        for i, tier in enumerate(self.plan.tiers):
            if tier.enabled:
                ctes.append(self._tier(i + 1, tier, source))
                source = ctes[-1].name
        return ctes

    def _tier(self, number: int, tier: Tier, source: str) -> _Cte:
        """The tier's own column holds its name for the accounts it takes; COALESCE of them all is the tier."""
        name, column = f"tier_{number}", self._internal(f"_tier_{number}")
        open_ = [f"{_q(c)} IS NULL" for c in self.tier_columns]
        pick = " AND ".join([*open_, self._where(tier.where)])
        label = rules.sql_literal(tier.name)
        motion = f" ({tier.motion})" if tier.motion else ""
        where = rules.describe(tier.where)
        comment = f"{name}: {tier.name}{motion} takes the accounts no earlier tier took where {where}"
        self.tier_columns.append(column)
        if tier.limit is None:
            return self._step(name, comment, source, [(column, f"CASE WHEN {pick} THEN {label} END")])
        flag = self._internal(f"_candidate_{number}")
        candidates = self._step(name, "", source, [(flag, pick)]).body
        keys = list(tier.ranking(self.channels is not None))
        order = [f"{_q(key)} DESC NULLS LAST" for key in keys] + [self._collate(_ID)]
        rank = f"ROW_NUMBER() OVER (PARTITION BY {_q(flag)} ORDER BY {', '.join(order)})"
        best = ", then ".join([*keys, "account_id"])
        return self._step(
            name, f"{comment}; only the best {tier.limit:,} by {best}: the rest fall through to the next tier",
            f"(\n  {_indent(candidates, 2)}\n  ) AS candidates",
            [(column, f"CASE WHEN {_q(flag)} AND {rank} <= {tier.limit} THEN {label} END")], alias="candidates",
        )

    # -- result -----------------------------------------------------------------------------

    def final(self, source: str) -> str:
        tier = f"COALESCE({', '.join([*map(_q, self.tier_columns), rules.sql_literal(NOT_TARGET)])})"
        whens = [when for when in map(self._play_when, self.plan.plays) if when]
        play = "CASE\n    " + "\n    ".join(whens) + f"\n    ELSE {rules.sql_literal(NO_PLAY)}\n  END"
        return "\n".join([
            _comment(f"result: the tier ({NOT_TARGET} when no tier took the account), the segment, and the first "
                     "play whose tier, stage and bucket match"),
            f'SELECT {_ID}, "fit_score", "tier", "stage", "bucket",',
            "  \"tier\" || ' / ' || \"stage\" AS \"segment\",",
            f'  {play if whens else rules.sql_literal(NO_PLAY)} AS "play"',
            f'FROM (SELECT {_ID}, "fit_score", "bucket", "stage", {tier} AS "tier" FROM {source}) AS assigned',
            f"ORDER BY {self._collate(_ID)}",
        ])

    def _play_when(self, play: Play) -> str:
        """The play's test, or "" when it names only labels the plan does not have (then it never matches)."""
        plan = self.plan
        known = {
            "tier": [t.name for t in plan.tiers] + [NOT_TARGET],
            "stage": [s.name for s in plan.stages] + [UNSTAGED],
            "bucket": [b.name for b in plan.buckets] + [UNCLASSIFIED],
        }
        tests = []
        for column, wanted in (("tier", play.tier), ("stage", play.stage), ("bucket", play.bucket)):
            if wanted is not None:
                names = [n for n in wanted if n in known[column]]
                if not names:
                    return ""
                tests.append(f"{_q(column)} IN ({_names(names)})")
        return f"WHEN {' AND '.join(tests) or 'TRUE'} THEN {rules.sql_literal(play_label(play))}"


# -- the tables plan.sql reads -------------------------------------------------------------------

WAREHOUSE_FOLDER = "warehouse"
_SCALARS = ((pl.Boolean, "BOOLEAN"), (pl.Date, "DATE"), (pl.Datetime, "TIMESTAMP"))
_LIST_TYPES = {"snowflake": "ARRAY", "redshift": "SUPER"}  # semi-structured, where typed arrays are not a table type


def portable(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with types every warehouse has: numbers, text, true/false, dates, lists of them; anything else as
    text. Categories stay as they are: Parquet writes them as dictionary-encoded text, which every reader takes
    as text (casting 20 million events would cost seconds)."""
    def kind(dtype: pl.DataType | DataTypeClass) -> pl.DataType | DataTypeClass:
        if isinstance(dtype, pl.List):
            return pl.List(kind(dtype.inner))
        if dtype.is_numeric() or isinstance(dtype, pl.Boolean | pl.Date | pl.Datetime | pl.String | pl.Categorical
                                                   | pl.Enum):
            return dtype
        return pl.String

    casts = [pl.col(name).cast(kind(dtype)) for name, dtype in frame.schema.items() if kind(dtype) != dtype]
    return frame.with_columns(casts) if casts else frame


def distinct_names(frame: pl.DataFrame, read: set[str]) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """The frame without the columns a warehouse cannot tell apart from another (DuckDB, BigQuery and Databricks
    ignore case: the Fortune 1000's `Website` beside the canonical `website`), and what was left out. Of such
    columns the one the plan reads stays, else the last (the canonical columns follow the file's own)."""
    groups: dict[str, list[str]] = {}
    for name in frame.columns:
        groups.setdefault(name.lower(), []).append(name)
    dropped = []
    for names in groups.values():
        wanted = [n for n in names if n in read]
        if len(wanted) > 1:
            raise AbmError(f"the plan reads the columns {', '.join(map(repr, wanted))}, which a warehouse cannot "
                           "tell apart (names differ only in case): rename one in [data.columns]")
        keep = wanted[0] if wanted else names[-1]
        dropped += [n for n in names if n != keep]
    return (frame.drop(dropped) if dropped else frame), tuple(dropped)


def _column_type(dtype: pl.DataType | DataTypeClass, dialect: str) -> exp.DataType:
    if isinstance(dtype, pl.List):
        if dialect in _LIST_TYPES:
            return exp.DataType.build(_LIST_TYPES[dialect], dialect=dialect)
        return exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[_column_type(dtype.inner, dialect)],
                            nested=True)
    if dtype.is_integer():
        name = "BIGINT"
    elif dtype.is_float():
        name = "DOUBLE"
    else:
        name = next((sql for kind, sql in _SCALARS if dtype == kind), "TEXT")
    return exp.DataType.build(name)  # TEXT: unbounded text everywhere (VARCHAR(MAX) on Redshift, STRING on BigQuery)


def create_table(table: str, schema: Mapping[str, pl.DataType], dialect: str) -> str:
    """`CREATE TABLE` for a frame of `portable` types, in `dialect`'s types (lists: TEXT[], ARRAY<STRING>, ...)."""
    columns = [exp.ColumnDef(this=exp.to_identifier(name, quoted=True), kind=_column_type(dtype, dialect))
               for name, dtype in schema.items()]
    parts = [exp.to_identifier(part, quoted=True) for part in table.split(".")]
    target = exp.Table(this=parts[-1], db=parts[-2] if len(parts) > 1 else None,
                       catalog=parts[-3] if len(parts) > 2 else None)
    replace = dialect in ("duckdb", "snowflake", "bigquery", "databricks")
    create = exp.Create(this=exp.Schema(this=target, expressions=columns), kind="TABLE", replace=replace)
    return create.sql(dialect=dialect, pretty=True)


def load_script(dialect: str, tables: Sequence[tuple[str, str, Mapping[str, pl.DataType]]], label: str) -> str:
    """The statements that make `tables` (each: its name in the plan, the file beside plan.sql, its schema) and
    fill them from the exported files; DuckDB and Postgres run as written, the others name the bucket, role or
    volume to fill in (their files must first be uploaded where the warehouse reads)."""
    schemas = sorted({".".join(_table(name, "table").split(".")[:-1]) for name, _, _ in tables} - {""})
    how = {
        "duckdb": "duckdb abm.duckdb < load.sql",
        "postgres": "psql -v ON_ERROR_STOP=1 -d YOUR_DATABASE -f load.sql",
        "snowflake": "snowsql -f load.sql (PUT reads the files from this folder)",
        "bigquery": "upload warehouse/ to gs://YOUR_BUCKET/, then bq query --use_legacy_sql=false < load.sql",
        "redshift": "upload warehouse/ to s3://YOUR_BUCKET/, then psql -h YOUR_CLUSTER -f load.sql",
        "databricks": "upload warehouse/ to the volume named below, then run load.sql in a SQL warehouse",
    }[dialect]
    lines = [_comment(f"Loads the tables plan.sql reads, for {label}."), _comment(f"Run from this folder: {how}."),
             _comment("It replaces the tables it names: give [export.sql] accounts_table and events_table a "
                      "schema of their own (abm.accounts) to keep them apart from others."), ""]
    begin, commit = {"duckdb": ("BEGIN TRANSACTION;", "COMMIT;"), "postgres": ("BEGIN;", "COMMIT;"),
                     "redshift": ("BEGIN;", "COMMIT;")}.get(dialect, ("", ""))
    statements = [begin] if begin else []
    if dialect == "snowflake":
        statements.append("CREATE TEMPORARY STAGE abm_tui_load;")
    statements += [f"CREATE SCHEMA IF NOT EXISTS {schema};" for schema in schemas]
    for name, file, schema in tables:
        table = _table(name, "table")
        if dialect in ("postgres", "redshift"):
            statements.append(f"DROP TABLE IF EXISTS {table};")
        statements.append(create_table(name, schema, dialect) + ";")
        statements += _load(dialect, table, file, schema)
    if commit:
        statements.append(commit)
    return "\n".join(lines + statements) + "\n"


def _load(dialect: str, table: str, file: str, schema: Mapping[str, pl.DataType]) -> list[str]:
    stem = file.rsplit("/", 1)[-1]
    if dialect == "duckdb":
        return [f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet({rules.sql_literal(file)});"]
    if dialect == "postgres":
        columns = ", ".join(map(_q, schema))
        return [f"\\copy {table} ({columns}) FROM {rules.sql_literal(copy_name(file))} WITH (FORMAT csv)"]
    if dialect == "snowflake":
        return [f"PUT 'file://{file}' @abm_tui_load AUTO_COMPRESS = FALSE OVERWRITE = TRUE;",
                f"COPY INTO {table} FROM @abm_tui_load FILES = ('{stem}') FILE_FORMAT = (TYPE = PARQUET "
                "USE_VECTORIZED_SCANNER = TRUE) MATCH_BY_COLUMN_NAME = CASE_SENSITIVE;"]
    if dialect == "bigquery":
        quoted = table.replace('"', "`")
        return [f"LOAD DATA INTO {quoted} FROM FILES (format = 'PARQUET', enable_list_inference = TRUE, "
                f"uris = ['gs://YOUR_BUCKET/{file}']);"]
    if dialect == "redshift":
        return [f"COPY {table} FROM 's3://YOUR_BUCKET/{file}' IAM_ROLE 'arn:aws:iam::YOUR_ACCOUNT:role/YOUR_ROLE' "
                "FORMAT AS PARQUET SERIALIZETOJSON;"]
    quoted = table.replace('"', "`")
    return [f"COPY INTO {quoted} FROM '/Volumes/YOUR_CATALOG/YOUR_SCHEMA/YOUR_VOLUME/{WAREHOUSE_FOLDER}' "
            f"FILEFORMAT = PARQUET FILES = ('{stem}');"]


def copy_name(parquet: str) -> str:
    """Postgres reads no Parquet without an extension: the same rows as CSV for its COPY, beside the Parquet."""
    return parquet.removesuffix(".parquet") + LOAD_SUFFIX


def copy_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame as Postgres' `COPY ... (FORMAT csv)` reads it: lists as array literals (`{"a","b"}`), the rest as
    it is (a missing value is an unquoted empty field, an empty text a quoted one, as Polars writes them)."""
    def literal(name: str) -> pl.Expr:
        element = pl.element().cast(pl.String)
        quoted = pl.when(element.is_null()).then(pl.lit("NULL")).otherwise(
            '"' + element.str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True)
            + '"')
        return ("{" + pl.col(name).list.eval(quoted).list.join(",") + "}").alias(name)

    lists = [literal(name) for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    return frame.with_columns(lists) if lists else frame
