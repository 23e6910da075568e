"""Writing a plan: back to the TOML table a planner would have written, and its stable hash."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import tomli_w

from abm_tui.files import write_text
from abm_tui.plan.model import (
    AllOf,
    AnyOf,
    Compare,
    Criterion,
    ExportSettings,
    HistorySettings,
    Not,
    Plan,
    Play,
    Rule,
    Sql,
    Tier,
    plain_number,
)


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
    if plan.data.contacts:
        data["contacts"] = plan.data.contacts
    if plan.data.contact_columns:
        data["contact_columns"] = dict(plan.data.contact_columns)
    doc["data"] = data
    engagement: dict[str, Any] = {
        "recent_days": plan.engagement.recent_days,
        "window_days": plan.engagement.window_days,
    }
    if plan.engagement.weights:
        engagement["weights"] = {c: plain_number(w) for c, w in plan.engagement.weights}
    if plan.engagement.half_life_days:
        engagement["half_life_days"] = {c: plain_number(d) for c, d in plan.engagement.half_life_days}
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
    if plan.personas:
        doc["personas"] = [_rule_dict(p) for p in plan.personas]
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
    if t.rank_by is not None:
        out["rank_by"] = list(t.rank_by)
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
    return toml_text(plan_to_dict(plan))


def save_plan(plan: Plan, path: str | Path) -> Path:
    """Write atomically, so a crash mid-save never leaves a half-written plan."""
    return write_text(Path(path), dumps_plan(plan))


def plan_hash(plan: Plan) -> str:
    """The saved text decides the hash, so the same plan hashes the same wherever it is loaded."""
    return hashlib.sha256(dumps_plan(plan).encode("utf-8")).hexdigest()[:12]


# --- TOML layout: tomli-w formats every value; rule conditions stay inline ------------------
# tomli-w writes every nested table as its own `[tiers.where.fit_score]` section, which scatters one
# rule over many lines. Planners read and diff plans in git, so `where` stays one inline table per rule,
# as in the design's examples. Output is checked by parsing it back in the tests.
#

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_text(doc: Mapping[str, Any]) -> str:
    """Tables inside arrays of tables (a rule's `where`) are written inline; others as sections."""
    return "".join(_table(doc, "")).lstrip("\n")


def _table(table: Mapping[str, Any], name: str) -> Iterator[str]:
    literals = [(k, v) for k, v in table.items() if not _is_table(v) and not _is_array_of_tables(v)]
    if name and (literals or not table):
        yield f"\n[{name}]\n"
    yield from (f"{_key(k)} = {_inline(v)}\n" for k, v in literals)
    for key, value in table.items():
        child = f"{name}.{_key(key)}" if name else _key(key)
        if _is_table(value):
            yield from _table(value, child)
        elif _is_array_of_tables(value):
            for item in value:
                yield f"\n[[{child}]]\n"
                yield from (f"{_key(k)} = {_inline(v)}\n" for k, v in item.items())


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_array_of_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _scalar(key)


def _inline(value: Any) -> str:
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    return tomli_w.dumps({"v": value}).removeprefix("v = ").rstrip("\n")
