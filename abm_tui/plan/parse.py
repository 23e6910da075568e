"""Reading a plan: strict TOML parsing that reports every problem with its key path.

Structural problems are found here; problems that need the data (unknown columns, type mismatches)
are found by `plan.validate`.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from abm_tui.errors import AbmError, PlanError, Problem, nearest
from abm_tui.plan import limits
from abm_tui.plan.model import (
    DESTINATIONS,
    FORMAT_VERSION,
    HUBSPOT_KEYS,
    LIST_SPLITS,
    MATCH_ALL,
    NOT_TARGET,
    PRESETS,
    SQL_DIALECTS,
    UNCLASSIFIED,
    UNSTAGED,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Criterion,
    DataSource,
    EngagementSettings,
    ExportSettings,
    HistorySettings,
    Not,
    Plan,
    Play,
    Rule,
    Scalar,
    Section,
    Sql,
    Tier,
    plain_number,
)
from abm_tui.plan.ops import OPS, TABLE, Takes

T = TypeVar("T")

# --- parsing --------------------------------------------------------------------------------

TOP_KEYS = (
    "version", "name", "as_of", "data", "engagement", "fit", "tiers", "stages", "buckets", "plays", "export", "history",
    "personas",
)
DATA_KEYS = ("accounts", "engagement", "preset", "columns", "sheet", "contacts", "contact_columns")
EXPORT_KEYS = ("to", "hubspot", "linkedin", "sql")
ENGAGEMENT_KEYS = ("recent_days", "window_days", "weights", "half_life_days")
CRITERION_KEYS = ("name", "points", "where", "enabled")
TIER_KEYS = ("name", "motion", "where", "limit", "rank_by", "enabled")
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

    def integer(self, value: Any, path: str, *, minimum: int | None = None, maximum: int = limits.WHOLE) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"expected a whole number, got {_show(value)}")
            return None
        if minimum is not None and value < minimum and maximum == limits.WHOLE:
            self.fail(path, f"expected a whole number of at least {minimum}, got {limits.short(value)}")
            return None
        problem = limits.number_problem(value, maximum, "a whole number", minimum)
        if problem:
            self.fail(path, problem)
            return None
        return value

    def number(self, value: Any, path: str, bound: float = limits.WEIGHT) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, f"expected a number, got {_show(value)}")
            return None
        problem = limits.number_problem(value, bound)
        if problem:
            self.fail(path, problem)
            return None
        return float(value)

    def positive(self, value: Any, path: str) -> float | None:
        number = self.number(value, path, limits.DAYS)
        if number is not None and number <= 0:
            self.fail(path, f"expected a number of days above 0, got {plain_number(number)}")
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


def _parse_where(value: Any, path: str, reader: _Reader, depth: int = 0) -> AllOf:
    if not isinstance(value, Mapping):
        reader.fail(path, f"expected a table such as {{ fit_score = {{ min = 80 }} }}, got {_show(value)}")
        return MATCH_ALL
    items: list[Condition] = []
    for key, spec in value.items():
        key_path = _join(path, key)
        if key in ("any", "not") and depth >= limits.RULE_DEPTH:
            reader.fail(key_path, f"any and not are nested more than {limits.RULE_DEPTH} levels deep; "
                                  "expected a flatter rule (or one sql test)")
            continue
        if key == "any":
            if not isinstance(spec, list) or not spec:
                reader.fail(key_path, f"expected a non-empty list of where tables, got {_show(spec)}")
                continue
            items.append(AnyOf(tuple(_parse_where(s, f"{key_path}[{i}]", reader, depth + 1)
                                     for i, s in enumerate(spec))))
        elif key == "not":
            items.append(Not(_parse_where(spec, key_path, reader, depth + 1)))
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
    numbers = raw if isinstance(raw, list) else [raw]
    for number in numbers:
        problem = _where_number_problem(number)
        if problem:
            reader.fail(path, problem)
            return None
    takes = TABLE[op].takes
    if takes is Takes.ORDERED:
        ok = not isinstance(raw, bool) and isinstance(raw, int | float | dt.date)
    elif takes is Takes.LIST:
        ok = isinstance(raw, list) and bool(raw) and all(_is_scalar(v) for v in raw)
    elif takes is Takes.FLAG:
        ok = isinstance(raw, bool)
    elif takes is Takes.TEXT:
        ok = isinstance(raw, str) and bool(raw)
    else:
        ok = _is_scalar(raw)
    if not ok:
        reader.fail(path, f"expected {takes.value}, got {_show(raw)}")
        return None
    return tuple(raw) if takes is Takes.LIST else raw


def _where_number_problem(value: Any) -> str | None:
    """A `where` number must be one a 64-bit column can be compared with exactly. `inf` is kept (`lt = inf`
    is any known number, and renders as SQL that runs); `nan` orders differently in Polars and SQL."""
    if isinstance(value, float):
        return f"expected a number, got {value}" if math.isnan(value) else None
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return limits.number_problem(value, limits.WHOLE)


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
    personas = tuple(_rule(item, path, reader) for path, item in reader.rules(doc.get("personas", []), "personas"))
    plan = Plan(
        name, as_of, data, engagement, criteria, tiers, stages, buckets, plays, export, history, personas,
        base_dir=base_dir, source=source,
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
    contacts = reader.text(table.get("contacts"), "data.contacts", optional=True)
    contact_columns = reader.pairs(table.get("contact_columns", {}), "data.contact_columns",
                                   "canonical name = header in the contacts file", reader.text)
    return DataSource(accounts or "accounts.csv", engagement, preset, columns, sheet, contacts, contact_columns)


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
    recent = reader.integer(table.get("recent_days", 30), "engagement.recent_days", minimum=1,
                            maximum=limits.DAYS) or 30
    window = reader.integer(table.get("window_days", 90), "engagement.window_days", minimum=1,
                            maximum=limits.DAYS) or 90
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
        points = reader.integer(spec.get("points"), f"{path}.points", maximum=limits.POINTS)
        where = _parse_where(spec.get("where", {}), f"{path}.where", reader)
        enabled = reader.boolean(spec.get("enabled", True), f"{path}.enabled")
        found.append(Criterion(name, points or 0, where, enabled))
    return tuple(found)


def _tier(item: Any, path: str, reader: _Reader) -> Tier:
    spec = reader.table(item, path, TIER_KEYS)
    name = reader.text(spec.get("name"), f"{path}.name") or "?"
    motion = reader.text(spec.get("motion"), f"{path}.motion", optional=True)
    limit = reader.integer(spec["limit"], f"{path}.limit", minimum=1, maximum=limits.LIMIT) if "limit" in spec else None
    where = _parse_where(spec.get("where", {}), f"{path}.where", reader)
    rank_by = _rank_by(spec["rank_by"], f"{path}.rank_by", reader) if "rank_by" in spec else None
    return Tier(name, where, motion, limit, reader.boolean(spec.get("enabled", True), f"{path}.enabled"), rank_by)


def _rank_by(value: Any, path: str, reader: _Reader) -> tuple[str, ...] | None:
    """A list of distinct column names; whether each is a number the data holds is validate's to say."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        example = '["fit_score", "annual_revenue"]'
        reader.fail(path, f"expected a list of column names, such as {example}, got {_show(value)}")
        return None
    if len(value) > limits.RANK_KEYS:
        reader.fail(path, f"expected at most {limits.RANK_KEYS} columns, got {len(value)}")
        return None
    repeated = [v for i, v in enumerate(value) if v in value[:i]]
    if repeated:
        reader.fail(path, f"{repeated[0]!r} is named twice")
        return None
    return tuple(value)


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
    for section in Section:
        rules = section.rules(plan)
        seen: set[str] = set()
        for i, rule in enumerate(rules):
            if section.fallback and rule.name.strip().casefold() == section.fallback.casefold():
                reader.fail(f"{section.key}[{i}].name", f'"{section.fallback}" is where accounts no rule takes '
                                                        "are counted; expected another name")
            if rule.name in seen:
                reader.fail(f"{section.key}[{i}].name",
                            f'"{rule.name}" is used by an earlier rule; names must be unique')
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
    except ValueError:  # Python's cap on the digits of a whole number read from text (4,300), hit by 10^5000
        raise AbmError(f"{source}: {limits.overlong_number_line(text)}a number has more digits than any plan "
                       "can hold; expected a number within the bounds the README lists") from None
    except RecursionError:
        line = limits.deepest_line(text)
        where = f"line {line}: " if line else ""
        raise AbmError(f"{source}: {where}tables and lists are nested more than {limits.TOML_DEPTH} levels deep; "
                       "expected a flatter plan") from None
    return plan_from_dict(doc, source, base_dir)

