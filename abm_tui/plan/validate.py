"""Checks of a plan against the columns its data really has, each problem at its key path.

The structural checks live in `plan`; these need the loaded table's schema: unknown columns (with
the nearest known names), a test that does not fit the column's type, `sql` that does not parse,
and derived columns a rule cannot see yet (a stage rule cannot read `tier`, which comes later).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

import polars as pl
from polars.datatypes import DataTypeClass

from abm_tui.errors import Problem, first_line, nearest
from abm_tui.plan import rules, sql_rule
from abm_tui.plan.model import VISIBLE, AllOf, AnyOf, Compare, Condition, Not, Plan, Sql
from abm_tui.plan.ops import ORDER_OPS

DERIVED_TYPES: Mapping[str, pl.DataType] = {
    "fit_score": pl.Int64(),
    "fit_criteria_met": pl.List(pl.String),
    "bucket": pl.String(),
    "stage": pl.String(),
    "tier": pl.String(),
}
_SOURCE = {"fit_score": "fit", "fit_criteria_met": "fit", "bucket": "bucket", "stage": "stage", "tier": "tier"}
_SECTION_WORDS = {"fit": "fit criteria", "bucket": "buckets", "stage": "stages", "tier": "tiers"}


def sections(plan: Plan) -> Iterator[tuple[str, str, AllOf]]:
    """(section, key path, condition) for every rule, in evaluation order."""
    for i, c in enumerate(plan.criteria):
        yield "fit", f"fit.criteria[{i}].where", c.where
    for i, b in enumerate(plan.buckets):
        yield "bucket", f"buckets[{i}].where", b.where
    for i, s in enumerate(plan.stages):
        yield "stage", f"stages[{i}].where", s.where
    for i, t in enumerate(plan.tiers):
        yield "tier", f"tiers[{i}].where", t.where


def check_plan(plan: Plan, schema: Mapping[str, pl.DataType], engagement_features: set[str],
               cache: dict[tuple[str, AllOf], tuple[Problem, ...]] | None = None,
               frame: pl.DataFrame | None = None) -> list[Problem]:
    """Every problem of every rule against the data's columns; an empty list means the plan runs.

    `engagement_features` are the names engagement would add, so a rule naming one without an
    engagement file gets a message saying so rather than a bare "unknown column". A `cache` kept
    for one schema (and frame) lets a session re-check only the rules a tweak changed. With the
    data's `frame`, each `sql` rule is also run on it, so one that parses but fails on the values
    (`CAST(name AS INT) > 5`) is found here rather than in the middle of a run.
    """
    cache = {} if cache is None else cache
    problems: list[Problem] = []
    for section, path, condition in sections(plan):
        key = (path, condition)
        if key not in cache:
            visible = dict(schema)
            visible.update({c: t for c, t in DERIVED_TYPES.items() if _SOURCE[c] in VISIBLE[section]})
            cache[key] = tuple(_check(condition, path, section, visible, engagement_features, frame))
        problems.extend(cache[key])
    return problems + list(_check_rankings(plan, schema, engagement_features))


def _check_rankings(plan: Plan, schema: Mapping[str, pl.DataType], engagement_features: set[str]) -> Iterator[Problem]:
    """A limit ranks by numbers or dates a tier can see; a text column has no "best"."""
    visible = dict(schema)
    visible.update({c: t for c, t in DERIVED_TYPES.items() if _SOURCE[c] in VISIBLE["tier"]})
    for i, tier in enumerate(plan.tiers):
        for j, column in enumerate(tier.rank_by or ()):
            path = f"tiers[{i}].rank_by[{j}]"
            missing = _unknown(column, "tier", visible, engagement_features)
            if missing:
                yield Problem(path, missing)
            elif (kind := _kind(visible[column])) not in ("numbers", "dates"):
                yield Problem(path, f"{column} holds {kind}; a limit ranks by numbers or dates, highest first")


def _check(condition: Condition, path: str, section: str, schema: Mapping[str, pl.DataType],
           engagement_features: set[str], frame: pl.DataFrame | None) -> Iterator[Problem]:
    if isinstance(condition, AllOf):
        for item in condition.items:
            sub = f"{path}.{item.column}.{item.op}" if isinstance(item, Compare) else path
            yield from _check(item, sub, section, schema, engagement_features, frame)
    elif isinstance(condition, AnyOf):
        for i, item in enumerate(condition.items):
            yield from _check(item, f"{path}.any[{i}]", section, schema, engagement_features, frame)
    elif isinstance(condition, Not):
        yield from _check(condition.item, f"{path}.not", section, schema, engagement_features, frame)
    elif isinstance(condition, Sql):
        yield from _check_sql(condition, f"{path}.sql", section, schema, engagement_features, frame)
    else:
        missing = _unknown(condition.column, section, schema, engagement_features)
        if missing:
            yield Problem(path, missing)
        else:
            yield from _check_type(condition, path, schema[condition.column])


def _unknown(column: str, section: str, schema: Mapping[str, pl.DataType], engagement_features: set[str]) -> str:
    if column in schema:
        return ""
    if column in _SOURCE:
        return (f"{_SECTION_WORDS[section]} cannot use {column}: rules are evaluated in the order fit, buckets, "
                f"stages, tiers, and each sees only what comes before it")
    if column in engagement_features:
        return f"{column} comes from engagement data, and the plan has none ([data] engagement = \"<file>\")"
    return f"unknown column {column!r}" + nearest(column, list(schema))


def _check_type(c: Compare, path: str, dtype: pl.DataType) -> Iterator[Problem]:
    kind = _kind(dtype)
    values = c.value if isinstance(c.value, tuple) else (c.value,)
    if c.op == "is_null":
        return
    if c.op == "contains":
        if kind not in ("text", "lists"):
            yield Problem(path, f"{c.column} holds {kind}; contains works on text and lists")
        elif isinstance(dtype, pl.List | pl.Array) and not _fits(c.value, element := _kind(dtype.inner)):
            yield Problem(path, f"expected {_expected(element)}, got {_shown(c.value)} ({c.column} holds lists of "
                                f"{element})")
        return
    if kind == "lists":
        yield Problem(path, f"{c.column} holds lists; use contains to test for an element")
        return
    if c.op in ORDER_OPS and kind not in ("numbers", "dates"):
        yield Problem(path, f"{c.column} holds {kind}; {c.op} needs numbers or dates")
        return
    for value in values:
        if not _fits(value, kind):
            yield Problem(path, f"expected {_expected(kind)}, got {_shown(value)} ({c.column} holds {kind})")
            return


def _kind(dtype: pl.DataType | DataTypeClass) -> str:
    if isinstance(dtype, pl.List | pl.Array):
        return "lists"
    if dtype == pl.Boolean:
        return "true/false values"
    if dtype.is_numeric():
        return "numbers"
    if dtype.is_temporal():
        return "dates"
    return "text"


def _fits(value: object, kind: str) -> bool:
    """Whether a rule's value can be compared with a column of that kind (no single value is a list)."""
    if kind == "lists":
        return False
    if kind == "numbers":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "dates":
        return isinstance(value, dt.date)
    if kind == "true/false values":
        return isinstance(value, bool)
    return isinstance(value, str)


def _expected(kind: str) -> str:
    return {"numbers": "a number", "dates": "a date", "true/false values": "true or false"}.get(kind, "text")


def _shown(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else rules.format_value(value)


def _check_sql(condition: Sql, path: str, section: str, schema: Mapping[str, pl.DataType],
               engagement_features: set[str], frame: pl.DataFrame | None) -> Iterator[Problem]:
    """Held to the allow-list first (a rule typed in the workbench has not been through the parser),
    so no engine parses a refused rule; then typed on an empty frame, then run on the data."""
    try:
        names = sorted(sql_rule.columns(condition.text))
        expr = pl.sql_expr(sql_rule.render(condition.text, "polars"))
    except sql_rule.SqlRefused as err:
        yield Problem(path, str(err))
        return
    except pl.exceptions.PolarsError as err:
        yield Problem(path, f"does not parse as SQL: {first_line(err)}")
        return
    unknown = [msg for name in names if (msg := _unknown(name, section, schema, engagement_features))]
    if unknown:
        yield from (Problem(path, msg) for msg in unknown)
        return
    empty = pl.DataFrame(schema={name: schema[name] for name in names})
    try:
        result = empty.select(expr)
    except pl.exceptions.PolarsError as err:
        yield Problem(path, f"cannot be evaluated: {first_line(err)}")
        return
    if result.width != 1 or result.dtypes[0] not in (pl.Boolean, pl.Null):
        yield Problem(path, f"must be a true/false test, but gives {result.dtypes[0] if result.width else 'nothing'}")
        return
    if frame is not None:
        yield from _run_on_data(expr, names, path, schema, frame)


def _run_on_data(expr: pl.Expr, names: list[str], path: str, schema: Mapping[str, pl.DataType],
                 frame: pl.DataFrame) -> Iterator[Problem]:
    """Columns the data does not hold yet (fit_score, stage...) are missing values of their type."""
    columns = [pl.col(n) if n in frame.columns else pl.lit(None, schema[n]).alias(n) for n in names]
    try:
        frame.select(columns).select(expr)
    except pl.exceptions.PolarsError as err:
        yield Problem(path, f"fails on the data: {first_line(err)}")


