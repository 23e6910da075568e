"""Conditions compiled three ways: to a Polars expression, to SQL text, and to plain words.

All three follow the design's two-valued logic: a comparison with a missing value is false, so
`not` and `any` only ever combine plain true and false. Keeping the renderings side by side in one
module is what lets the tests hold them to the same answers.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import polars as pl

from abm_tui.plan import sql_rule
from abm_tui.plan.model import AllOf, AnyOf, AnyRule, Compare, Condition, Not, Plan, Scalar, Sql
from abm_tui.plan.ops import TABLE

Schema = Mapping[str, pl.DataType]



# --- Polars ---------------------------------------------------------------------------------


def to_expr(condition: Condition, schema: Schema) -> pl.Expr:
    """A boolean expression that is never null."""
    if isinstance(condition, AllOf):
        parts = [to_expr(c, schema) for c in condition.items]
        return pl.all_horizontal(parts) if parts else pl.lit(True)
    if isinstance(condition, AnyOf):
        return pl.any_horizontal([to_expr(c, schema) for c in condition.items])
    if isinstance(condition, Not):
        return ~to_expr(condition.item, schema)
    if isinstance(condition, Sql):
        return pl.sql_expr(sql_rule.render(condition.text, "polars")).fill_null(False)
    return _compare_expr(condition, schema).fill_null(False)


def _compare_expr(c: Compare, schema: Schema) -> pl.Expr:
    column = pl.col(c.column)
    op, value = c.op, c.value
    if op in ("in", "not_in"):
        member = _is_in(column, value if isinstance(value, tuple) else (value,), schema.get(c.column))
        return member if op == "in" else column.is_not_null() & ~member
    if isinstance(value, tuple):
        raise ValueError(f"{op} takes one value, not a list")
    if op == "min":
        return column >= value
    if op == "max":
        return column <= value
    if op == "gt":
        return column > value
    if op == "lt":
        return column < value
    if op == "eq":
        return column.eq(value)
    if op == "ne":
        return column.ne(value)
    if op == "is_null":
        return column.is_null() if value else column.is_not_null()
    if op == "contains":
        if isinstance(schema.get(c.column), pl.List):
            return column.list.contains(pl.lit(value))
        return column.cast(pl.String).str.to_lowercase().str.contains(str(value).lower(), literal=True)
    raise ValueError(f"unknown op {op}")


def _is_in(column: pl.Expr, values: tuple[Scalar, ...], dtype: pl.DataType | None) -> pl.Expr:
    """Membership compared exactly: `in = [1, 2.5]` on whole numbers compares as decimals, never truncating."""
    listed = pl.Series(list(values), strict=False)
    if dtype is not None and dtype.is_numeric() and listed.dtype.is_numeric() and listed.dtype != dtype:
        return column.cast(pl.Float64).is_in(listed.cast(pl.Float64).implode())
    if dtype is not None and listed.dtype != dtype:
        listed = listed.cast(dtype, strict=False)
    return column.is_in(listed.implode())


def columns(condition: Condition) -> set[str]:
    """Every column a condition reads, including those inside `sql` text."""
    if isinstance(condition, Compare):
        return {condition.column}
    if isinstance(condition, AllOf | AnyOf):
        return set().union(*(columns(c) for c in condition.items))
    if isinstance(condition, Not):
        return columns(condition.item)
    return sql_rule.columns(condition.text)


def section_columns(plan: Plan) -> dict[str, set[str]]:
    """Per section ("fit", "tiers", "stages", "buckets"), every column its enabled and disabled rules read."""
    sections: dict[str, tuple[AnyRule, ...]] = {
        "fit": plan.criteria, "tiers": plan.tiers, "stages": plan.stages, "buckets": plan.buckets,
    }
    return {name: set().union(*(columns(rule.where) for rule in items)) for name, items in sections.items()}


# --- SQL ------------------------------------------------------------------------------------


def to_sql(condition: Condition, schema: Schema, dialect: str = "duckdb") -> str:
    """SQL text for DuckDB or Postgres; every leaf is COALESCEd so null comes out false."""
    if isinstance(condition, AllOf):
        parts = [to_sql(c, schema, dialect) for c in condition.items]
        return "(" + " AND ".join(parts) + ")" if parts else "TRUE"
    if isinstance(condition, AnyOf):
        return "(" + " OR ".join(to_sql(c, schema, dialect) for c in condition.items) + ")"
    if isinstance(condition, Not):
        return f"(NOT {to_sql(condition.item, schema, dialect)})"
    if isinstance(condition, Sql):
        decimals = frozenset(name for name, dtype in schema.items() if dtype.is_float())
        texts = frozenset(name for name, dtype in schema.items() if dtype == pl.String)
        return f"COALESCE(({sql_rule.render(condition.text, dialect, decimals, texts)}), FALSE)"
    return f"COALESCE({_compare_sql(condition, schema, dialect)}, FALSE)"


def _compare_sql(c: Compare, schema: Schema, dialect: str) -> str:
    column = quote_identifier(c.column)
    if TABLE[c.op].sql:
        return f"{column} {TABLE[c.op].sql} {sql_literal(c.value)}"
    if c.op in ("in", "not_in"):
        listed = ", ".join(sql_literal(v) for v in c.value)  # type: ignore[union-attr]
        return f"{column} {'IN' if c.op == 'in' else 'NOT IN'} ({listed})"
    if c.op == "is_null":
        return f"{column} IS {'' if c.value else 'NOT '}NULL"
    if isinstance(schema.get(c.column), pl.List):
        if dialect == "postgres":
            return f"{sql_literal(c.value)} = ANY({column})"
        return f"list_contains({column}, {sql_literal(c.value)})"
    return f"STRPOS(LOWER(CAST({column} AS VARCHAR)), {sql_literal(str(c.value).lower())}) > 0"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: Scalar | tuple[Scalar, ...]) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and not math.isfinite(value):
        special = 'NaN' if math.isnan(value) else 'Infinity' if value > 0 else '-Infinity'
        return f"CAST('{special}' AS DOUBLE PRECISION)"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


# --- words ----------------------------------------------------------------------------------


def describe(condition: Condition) -> str:
    """The rule as a planner would say it: `fit_score ≥ 80 and engagement_recent ≥ 20`."""
    if isinstance(condition, AllOf):
        parts = [describe(c) for c in condition.items]
        return " and ".join(parts) if parts else "every account"
    if isinstance(condition, AnyOf):
        return "any of (" + "; ".join(describe(c) for c in condition.items) + ")"
    if isinstance(condition, Not):
        return f"not ({describe(condition.item)})"
    if isinstance(condition, Sql):
        return condition.text
    return describe_compare(condition)


def describe_compare(c: Compare) -> str:
    if TABLE[c.op].words:
        return f"{c.column} {TABLE[c.op].words} {format_value(c.value)}"
    if c.op in ("in", "not_in"):
        listed = ", ".join(format_value(v) for v in c.value)  # type: ignore[union-attr]
        return f"{c.column} {'in' if c.op == 'in' else 'not in'} [{listed}]"
    if c.op == "is_null":
        return f"{c.column} is {'missing' if c.value else 'known'}"
    return f'{c.column} contains "{c.value}"'


def format_value(value: object) -> str:
    if isinstance(value, float) and abs(value) >= 1e15:
        return f"{value:.3g}"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return "missing"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)
