"""The plan (TOML, format version 1): the model, strict parsing with key paths, and saving.

A plan is immutable; a tweak makes a new plan (`dataclasses.replace`), so the session's history is
just a list of plans and every cache can key on a rule's value. Structural problems are found here;
problems that need the data (unknown columns, type mismatches) are found by `validate`.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from abm_tui.core import tomlfmt
from abm_tui.core.errors import AbmError, PlanError, Problem, nearest

FORMAT_VERSION = 1
PRESETS = ("auto", "canonical", "hubspot", "salesforce", "linkedin")
DESTINATIONS = ("hubspot", "salesforce", "linkedin", "sql")
LIST_SPLITS = ("segment", "tier")
HUBSPOT_KEYS = ("auto", "record_id", "domain")
SQL_DIALECTS = ("duckdb", "postgres")
LINKEDIN_MIN_SIZE = 300  # LinkedIn refuses to run a matched audience smaller than this
OPS = ("min", "max", "gt", "lt", "eq", "ne", "in", "not_in", "contains", "is_null")
ORDER_OPS = ("min", "max", "gt", "lt")

Scalar = str | int | float | bool | dt.date
T = TypeVar("T")


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


@dataclass(frozen=True)
class Tier:
    name: str
    where: AllOf = MATCH_ALL
    motion: str | None = None
    limit: int | None = None
    enabled: bool = True


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
    version: int = FORMAT_VERSION
    base_dir: Path = field(default=Path("."), compare=False)
    source: str = field(default="plan", compare=False)  # the file it was read from, for messages

    def resolve(self, relative: str) -> Path:
        """Data paths are relative to the plan file, so a plan folder can move as a whole; `..` steps are
        folded so messages name the file as a planner would (`/data/x.csv`, not `/plans/../data/x.csv`)."""
        path = Path(relative).expanduser()
        return path if path.is_absolute() else Path(os.path.normpath(self.base_dir / path))


# --- parsing --------------------------------------------------------------------------------

TOP_KEYS = (
    "version", "name", "as_of", "data", "engagement", "fit", "tiers", "stages", "buckets", "plays", "export", "history",
)
DATA_KEYS = ("accounts", "engagement", "preset", "columns", "sheet")
EXPORT_KEYS = ("to", "hubspot", "linkedin", "sql")
ENGAGEMENT_KEYS = ("recent_days", "window_days", "weights", "half_life_days")
CRITERION_KEYS = ("name", "points", "where", "enabled")
TIER_KEYS = ("name", "motion", "where", "limit", "enabled")
RULE_KEYS = ("name", "where", "enabled")
PLAY_KEYS = ("name", "tier", "stage", "bucket", "campaign", "cta", "sales_action")


class _Reader:
    """Collects every problem with its key path instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def table(self, value: Any, path: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected a table, got {_show(value)}")
            return {}
        for key in value:
            if key not in keys:
                self.fail(
                    _join(path, key), "unknown key" + (nearest(key, keys) or f"; expected one of {', '.join(keys)}")
                )
        return value

    def text(self, value: Any, path: str, *, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"expected a non-empty string, got {_show(value)}")
            return None
        return value

    def free_text(self, value: Any, path: str) -> str:
        """Text a planner may leave empty, such as a play's CTA."""
        if not isinstance(value, str):
            self.fail(path, f"expected a string, got {_show(value)}")
            return ""
        return value

    def integer(self, value: Any, path: str, *, minimum: int | None = None) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"expected a whole number, got {_show(value)}")
            return None
        if minimum is not None and value < minimum:
            self.fail(path, f"expected a whole number of at least {minimum}, got {value}")
            return None
        return value

    def number(self, value: Any, path: str) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, f"expected a number, got {_show(value)}")
            return None
        return float(value)

    def positive(self, value: Any, path: str) -> float | None:
        number = self.number(value, path)
        if number is not None and number <= 0:
            self.fail(path, f"expected a number of days above 0, got {_number(number)}")
            return None
        return number

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, got {_show(value)}")
            return True
        return value

    def pairs(
        self, value: Any, path: str, shape: str, convert: Callable[[Any, str], T | None]
    ) -> tuple[tuple[str, T], ...]:
        """A table of `name = value` entries, each value checked by `convert`."""
        if not isinstance(value, Mapping):
            self.fail(path, f"expected a table of {shape}, got {_show(value)}")
            return ()
        converted = ((key, convert(item, f"{path}.{key}")) for key, item in value.items())
        return tuple((key, item) for key, item in converted if item is not None)

    def rules(self, value: Any, path: str) -> list[tuple[str, Mapping[str, Any]]]:
        if not isinstance(value, list):
            self.fail(path, f"expected an array of tables ([[{path}]]), got {_show(value)}")
            return []
        return [(f"{path}[{i}]", item) for i, item in enumerate(value)]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value) if not isinstance(value, bool) else str(value).lower()


def parse_where(value: Any, path: str, reader: _Reader | None = None) -> AllOf:
    """Turn a `where` table into a condition tree; problems go to `reader` (or raise)."""
    own = reader is None
    reader = reader or _Reader()
    condition = _parse_where(value, path, reader)
    if own and reader.problems:
        raise PlanError("where", reader.problems)
    return condition


def _parse_where(value: Any, path: str, reader: _Reader) -> AllOf:
    if not isinstance(value, Mapping):
        reader.fail(path, f"expected a table such as {{ fit_score = {{ min = 80 }} }}, got {_show(value)}")
        return MATCH_ALL
    items: list[Condition] = []
    for key, spec in value.items():
        key_path = _join(path, key)
        if key == "any":
            if not isinstance(spec, list) or not spec:
                reader.fail(key_path, f"expected a non-empty list of where tables, got {_show(spec)}")
                continue
            items.append(AnyOf(tuple(_parse_where(s, f"{key_path}[{i}]", reader) for i, s in enumerate(spec))))
        elif key == "not":
            items.append(Not(_parse_where(spec, key_path, reader)))
        elif key == "sql":
            text = reader.text(spec, key_path)
            if text is not None:
                items.append(Sql(text))
        else:
            items.extend(_parse_ops(key, spec, key_path, reader))
    return AllOf(tuple(items))


def _parse_ops(column: str, spec: Any, path: str, reader: _Reader) -> list[Compare]:
    if not isinstance(spec, Mapping) or not spec:
        reader.fail(path, f"expected a table of tests such as {{ min = 10 }} or {{ in = [...] }}, got {_show(spec)}")
        return []
    found = []
    for op, raw in spec.items():
        op_path = _join(path, op)
        if op not in OPS:
            reader.fail(op_path, "unknown test" + (nearest(op, OPS) or f"; expected one of {', '.join(OPS)}"))
            continue
        value = _parse_op_value(op, raw, op_path, reader)
        if value is not None:
            found.append(Compare(column, op, value))
    return found


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | dt.date) and not isinstance(value, dt.datetime)


def _parse_op_value(op: str, raw: Any, path: str, reader: _Reader) -> Scalar | tuple[Scalar, ...] | None:
    if op in ORDER_OPS:
        if isinstance(raw, bool) or not isinstance(raw, int | float | dt.date):
            reader.fail(path, f"expected a number or a date, got {_show(raw)}")
            return None
        return raw
    if op in ("in", "not_in"):
        if not isinstance(raw, list) or not raw or not all(_is_scalar(v) for v in raw):
            reader.fail(path, f"expected a non-empty list of values, got {_show(raw)}")
            return None
        return tuple(raw)
    if op == "is_null":
        if not isinstance(raw, bool):
            reader.fail(path, f"expected true or false, got {_show(raw)}")
            return None
        return raw
    if op == "contains":
        if not isinstance(raw, str) or not raw:
            reader.fail(path, f"expected a non-empty string, got {_show(raw)}")
            return None
        return raw
    if not _is_scalar(raw):
        reader.fail(path, f"expected a single value, got {_show(raw)}")
        return None
    return raw


def _names(value: Any, path: str, reader: _Reader) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) and value:
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    reader.fail(path, f"expected a name or a list of names, got {_show(value)}")
    return None


def plan_from_dict(doc: Mapping[str, Any], source: str = "plan", base_dir: Path = Path(".")) -> Plan:
    """Build a Plan from parsed TOML, listing every structural problem at once."""
    reader = _Reader()
    doc = reader.table(doc, "", TOP_KEYS)
    version = doc.get("version")
    if version is None:
        reader.fail("version", f"missing; expected version = {FORMAT_VERSION}")
    elif type(version) is not int or version != FORMAT_VERSION:
        reader.fail("version", f"this abm-tui reads plan format version {FORMAT_VERSION}, got {_show(version)}")
        raise PlanError(source, reader.problems)
    name = reader.text(doc.get("name", "Untitled plan"), "name") or "Untitled plan"
    as_of = _as_of(doc.get("as_of"), reader)
    data = _data(doc.get("data", {}), reader)
    engagement = _engagement(doc.get("engagement", {}), reader)
    criteria = _criteria(doc.get("fit", {}), reader)
    tiers = tuple(_tier(item, path, reader) for path, item in reader.rules(doc.get("tiers", []), "tiers"))
    stages = tuple(_rule(item, path, reader) for path, item in reader.rules(doc.get("stages", []), "stages"))
    buckets = tuple(_rule(item, path, reader) for path, item in reader.rules(doc.get("buckets", []), "buckets"))
    plays = tuple(_play(item, path, reader) for path, item in reader.rules(doc.get("plays", []), "plays"))
    export = _export(doc.get("export", {}), reader)
    history = _history(doc.get("history", {}), reader)
    plan = Plan(
        name, as_of, data, engagement, criteria, tiers, stages, buckets, plays, export, history, base_dir=base_dir,
        source=source,
    )
    _check_names(plan, reader)
    if reader.problems:
        raise PlanError(source, reader.problems)
    return plan


def _as_of(value: Any, reader: _Reader) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    reader.fail("as_of", f"expected a date such as as_of = 2026-11-22, got {_show(value)}")
    return None


def _data(value: Any, reader: _Reader) -> DataSource:
    table = reader.table(value, "data", DATA_KEYS)
    accounts = reader.text(table.get("accounts"), "data.accounts") if "accounts" in table else None
    if "accounts" not in table:
        reader.fail("data.accounts", 'missing; expected the accounts file, e.g. accounts = "accounts.csv"')
    engagement = reader.text(table.get("engagement"), "data.engagement", optional=True)
    preset = table.get("preset", "auto")
    if preset not in PRESETS:
        reader.fail("data.preset", f"expected one of {', '.join(PRESETS)}, got {_show(preset)}")
        preset = "auto"
    columns = reader.pairs(table.get("columns", {}), "data.columns", "canonical name = header in the file", reader.text)
    sheet = reader.text(table.get("sheet"), "data.sheet", optional=True)
    return DataSource(accounts or "accounts.csv", engagement, preset, columns, sheet)


def _export(value: Any, reader: _Reader) -> ExportSettings:
    table = reader.table(value, "export", EXPORT_KEYS)
    to = () if table.get("to") == [] else _names(table.get("to"), "export.to", reader) or ()
    for i, name in enumerate(to):
        if name not in DESTINATIONS:
            reader.fail(f"export.to[{i}]", f"expected one of {', '.join(DESTINATIONS)}, got {_show(name)}"
                        + nearest(name, DESTINATIONS))
    hubspot = reader.table(table.get("hubspot", {}), "export.hubspot", ("key",))
    linkedin = reader.table(table.get("linkedin", {}), "export.linkedin", ("per", "min_size"))
    sql = reader.table(table.get("sql", {}), "export.sql", ("dialect", "accounts_table", "events_table"))
    defaults = ExportSettings()
    return ExportSettings(
        to=tuple(to),
        hubspot_key=_choice(hubspot.get("key", defaults.hubspot_key), "export.hubspot.key", HUBSPOT_KEYS, reader),
        linkedin_per=_choice(linkedin.get("per", defaults.linkedin_per), "export.linkedin.per", LIST_SPLITS, reader),
        linkedin_min_size=reader.integer(linkedin.get("min_size", defaults.linkedin_min_size),
                                         "export.linkedin.min_size", minimum=1) or defaults.linkedin_min_size,
        sql_dialect=_choice(sql.get("dialect", defaults.sql_dialect), "export.sql.dialect", SQL_DIALECTS, reader),
        accounts_table=reader.text(sql.get("accounts_table", defaults.accounts_table), "export.sql.accounts_table")
        or defaults.accounts_table,
        events_table=reader.text(sql.get("events_table", defaults.events_table), "export.sql.events_table")
        or defaults.events_table,
    )


def _choice(value: Any, path: str, allowed: tuple[str, ...], reader: _Reader) -> str:
    if value not in allowed:
        reader.fail(path, f"expected one of {', '.join(allowed)}, got {_show(value)}")
        return allowed[0]
    return value


def _engagement(value: Any, reader: _Reader) -> EngagementSettings:
    table = reader.table(value, "engagement", ENGAGEMENT_KEYS)
    recent = reader.integer(table.get("recent_days", 30), "engagement.recent_days", minimum=1) or 30
    window = reader.integer(table.get("window_days", 90), "engagement.window_days", minimum=1) or 90
    if recent > window:
        reader.fail("engagement.recent_days", f"expected at most window_days ({window}), got {recent}")
    weights = reader.pairs(table.get("weights", {}), "engagement.weights", "channel = weight", reader.number)
    half_lives = reader.pairs(table.get("half_life_days", {}), "engagement.half_life_days", "channel = days",
                              reader.positive)
    return EngagementSettings(recent, window, weights, half_lives)


def _history(value: Any, reader: _Reader) -> HistorySettings:
    table = reader.table(value, "history", ("folder",))
    folder = reader.text(table.get("folder", HistorySettings.folder), "history.folder")
    return HistorySettings(folder or HistorySettings.folder)


def _criteria(value: Any, reader: _Reader) -> tuple[Criterion, ...]:
    table = reader.table(value, "fit", ("criteria",))
    found = []
    for path, item in reader.rules(table.get("criteria", []), "fit.criteria"):
        spec = reader.table(item, path, CRITERION_KEYS)
        name = reader.text(spec.get("name"), f"{path}.name") or "?"
        points = reader.integer(spec.get("points"), f"{path}.points")
        where = _parse_where(spec.get("where", {}), f"{path}.where", reader)
        enabled = reader.boolean(spec.get("enabled", True), f"{path}.enabled")
        found.append(Criterion(name, points or 0, where, enabled))
    return tuple(found)


def _tier(item: Any, path: str, reader: _Reader) -> Tier:
    spec = reader.table(item, path, TIER_KEYS)
    name = reader.text(spec.get("name"), f"{path}.name") or "?"
    motion = reader.text(spec.get("motion"), f"{path}.motion", optional=True)
    limit = reader.integer(spec["limit"], f"{path}.limit", minimum=1) if "limit" in spec else None
    where = _parse_where(spec.get("where", {}), f"{path}.where", reader)
    return Tier(name, where, motion, limit, reader.boolean(spec.get("enabled", True), f"{path}.enabled"))


def _rule(item: Any, path: str, reader: _Reader) -> Rule:
    spec = reader.table(item, path, RULE_KEYS)
    name = reader.text(spec.get("name"), f"{path}.name") or "?"
    where = _parse_where(spec.get("where", {}), f"{path}.where", reader)
    return Rule(name, where, reader.boolean(spec.get("enabled", True), f"{path}.enabled"))


def _play(item: Any, path: str, reader: _Reader) -> Play:
    spec = reader.table(item, path, PLAY_KEYS)
    texts = {k: reader.free_text(spec.get(k, ""), f"{path}.{k}") for k in ("campaign", "cta", "sales_action")}
    return Play(
        tier=_names(spec.get("tier"), f"{path}.tier", reader),
        stage=_names(spec.get("stage"), f"{path}.stage", reader),
        bucket=_names(spec.get("bucket"), f"{path}.bucket", reader),
        name=reader.text(spec.get("name"), f"{path}.name", optional=True),
        **texts,
    )


def _check_names(plan: Plan, reader: _Reader) -> None:
    """Rule names are how plays, the matrix and exports refer to rules, so they must be unique and known."""
    sections = {"tiers": plan.tiers, "stages": plan.stages, "buckets": plan.buckets, "fit.criteria": plan.criteria}
    for section, rules in sections.items():
        seen: set[str] = set()
        for i, rule in enumerate(rules):
            if rule.name in seen:
                reader.fail(f"{section}[{i}].name", f'"{rule.name}" is used by an earlier rule; names must be unique')
            seen.add(rule.name)
    known = {
        "tier": [t.name for t in plan.tiers] + [NOT_TARGET],
        "stage": [s.name for s in plan.stages] + [UNSTAGED],
        "bucket": [b.name for b in plan.buckets] + [UNCLASSIFIED],
    }
    for i, play in enumerate(plan.plays):
        for dim, names in (("tier", play.tier), ("stage", play.stage), ("bucket", play.bucket)):
            for name in names or ():
                if name not in known[dim]:
                    reader.fail(f"plays[{i}].{dim}", f'no {dim} named "{name}"' + nearest(name, known[dim]))


NOT_TARGET = "Not target"
UNSTAGED = "Unstaged"
UNCLASSIFIED = "Unclassified"


# --- files ----------------------------------------------------------------------------------


def load_plan(path: str | Path) -> Plan:
    """Read a plan file; every problem is reported with its key path."""
    path = Path(path)
    if not path.exists():
        raise AbmError(f"{path}: no such plan file")
    if path.is_dir():
        raise AbmError(f"{path}: is a folder; expected a plan file (.toml)")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise AbmError(f"{path}: not a UTF-8 text file (byte {err.start}); expected a TOML plan") from None
    except OSError as err:
        raise AbmError(f"{path}: cannot read: {err.strerror}") from None
    return loads_plan(text, source=str(path), base_dir=path.resolve().parent)


def loads_plan(text: str, source: str = "plan", base_dir: Path = Path(".")) -> Plan:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise AbmError(f"{source}: not valid TOML: {err}") from None
    return plan_from_dict(doc, source, base_dir)


def where_to_dict(condition: AllOf) -> dict[str, Any]:
    """The inverse of `parse_where`: the table a planner would have written.

    A TOML table holds each key once, so a tree with two tests of the same column and op (or two
    `any`) cannot be written; that raises rather than silently dropping a test.
    """
    out: dict[str, Any] = {}

    def put(key: str, value: Any, table: dict[str, Any], shown: str) -> None:
        if key in table:
            raise ValueError(f"cannot write {shown} twice in one where table; combine them with any or not")
        table[key] = value

    for item in condition.items:
        if isinstance(item, Compare):
            value = list(item.value) if isinstance(item.value, tuple) else item.value
            put(item.op, value, out.setdefault(item.column, {}), f"{item.column}.{item.op}")
        elif isinstance(item, AnyOf):
            put("any", [where_to_dict(c) for c in item.items], out, "any")
        elif isinstance(item, Not):
            put("not", where_to_dict(item.item), out, "not")
        elif isinstance(item, Sql):
            put("sql", item.text, out, "sql")
    return out


def _names_value(names: tuple[str, ...] | None) -> str | list[str] | None:
    if names is None:
        return None
    return names[0] if len(names) == 1 else list(names)


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as TOML-ready data; optional keys at their default are left out to keep files short."""
    doc: dict[str, Any] = {"version": plan.version, "name": plan.name}
    if plan.as_of is not None:
        doc["as_of"] = plan.as_of
    data: dict[str, Any] = {"accounts": plan.data.accounts}
    if plan.data.engagement:
        data["engagement"] = plan.data.engagement
    data["preset"] = plan.data.preset
    if plan.data.columns:
        data["columns"] = dict(plan.data.columns)
    if plan.data.sheet:
        data["sheet"] = plan.data.sheet
    doc["data"] = data
    engagement: dict[str, Any] = {
        "recent_days": plan.engagement.recent_days,
        "window_days": plan.engagement.window_days,
    }
    if plan.engagement.weights:
        engagement["weights"] = {c: _number(w) for c, w in plan.engagement.weights}
    if plan.engagement.half_life_days:
        engagement["half_life_days"] = {c: _number(d) for c, d in plan.engagement.half_life_days}
    doc["engagement"] = engagement
    doc["fit"] = {"criteria": [_criterion_dict(c) for c in plan.criteria]}
    doc["tiers"] = [_tier_dict(t) for t in plan.tiers]
    doc["stages"] = [_rule_dict(s) for s in plan.stages]
    doc["buckets"] = [_rule_dict(b) for b in plan.buckets]
    doc["plays"] = [_play_dict(p) for p in plan.plays]
    export = _export_dict(plan.export)
    if export:
        doc["export"] = export
    if plan.history != HistorySettings():
        doc["history"] = {"folder": plan.history.folder}
    return doc


def _export_sections(settings: ExportSettings) -> dict[str, dict[str, Any]]:
    return {
        "hubspot": {"key": settings.hubspot_key},
        "linkedin": {"per": settings.linkedin_per, "min_size": settings.linkedin_min_size},
        "sql": {"dialect": settings.sql_dialect, "accounts_table": settings.accounts_table,
                "events_table": settings.events_table},
    }


def _export_dict(settings: ExportSettings) -> dict[str, Any]:
    """Only what differs from the defaults, so a plan without `[export]` saves without one."""
    out: dict[str, Any] = {"to": list(settings.to)} if settings.to else {}
    defaults = _export_sections(ExportSettings())
    for section, values in _export_sections(settings).items():
        changed = {key: value for key, value in values.items() if value != defaults[section][key]}
        if changed:
            out[section] = changed
    return out


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _criterion_dict(c: Criterion) -> dict[str, Any]:
    out: dict[str, Any] = {"name": c.name, "points": c.points, "where": where_to_dict(c.where)}
    if not c.enabled:
        out["enabled"] = False
    return out


def _tier_dict(t: Tier) -> dict[str, Any]:
    out: dict[str, Any] = {"name": t.name}
    if t.motion:
        out["motion"] = t.motion
    if t.where.items:
        out["where"] = where_to_dict(t.where)
    if t.limit is not None:
        out["limit"] = t.limit
    if not t.enabled:
        out["enabled"] = False
    return out


def _rule_dict(r: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"name": r.name}
    if r.where.items:
        out["where"] = where_to_dict(r.where)
    if not r.enabled:
        out["enabled"] = False
    return out


def _play_dict(p: Play) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if p.name:
        out["name"] = p.name
    for key in ("tier", "stage", "bucket"):
        value = _names_value(getattr(p, key))
        if value is not None:
            out[key] = value
    out.update(campaign=p.campaign, cta=p.cta, sales_action=p.sales_action)
    return out


def dumps_plan(plan: Plan) -> str:
    return tomlfmt.dumps(plan_to_dict(plan))


def save_plan(plan: Plan, path: str | Path) -> Path:
    """Write atomically, so a crash mid-save never leaves a half-written plan."""
    from abm_tui.core.atomic import write_text

    return write_text(Path(path), dumps_plan(plan))
