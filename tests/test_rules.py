"""Conditions as Polars expressions, as SQL text and as words, held to the design's two-valued logic.

The Polars rendering and the SQL rendering (run by DuckDB) must give the same answer on every row.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pytest

from abm_tui.plan import rules
from abm_tui.plan.model import MATCH_ALL, AllOf, AnyOf, Compare, Not, Sql
from abm_tui.plan.parse import load_plan, parse_where

REPO = Path(__file__).resolve().parent.parent
BUNDLED_PLAN = REPO / "data" / "plan.toml"
BUNDLED_ACCOUNTS = REPO / "data" / "accounts.csv"

T, F = True, False

FRAME = pl.DataFrame(
    {
        "industry": ["Fintech", "HR Tech", None, "fintech services", "Retail", "Software"],
        "employees": [10, 250, None, 5000, 1200, 0],
        "score": [1.5, None, 80.0, 79.9, 100.0, -3.0],
        "tech_stack": [["Salesforce", "Snowflake"], [], None, ["HubSpot"], ["Gong"], ["Snowflake", None]],
        "founded": [
            dt.date(2020, 1, 1),
            None,
            dt.date(2019, 5, 6),
            dt.date(2024, 12, 31),
            dt.date(2020, 1, 1),
            dt.date(1999, 1, 1),
        ],
        "cloud": ["aws", "on-prem", None, "gcp", "on-prem", None],
        "active": [True, False, None, True, False, True],
        "note": ["50% off", "a_b", None, "O'Brien", "x", "100%"],
        "HQ country": ["US", "DE", "US", None, "FR", "US"],
    },
    schema={
        "industry": pl.String,
        "employees": pl.Int64,
        "score": pl.Float64,
        "tech_stack": pl.List(pl.String),
        "founded": pl.Date,
        "cloud": pl.String,
        "active": pl.Boolean,
        "note": pl.String,
        "HQ country": pl.String,
    },
)
SCHEMA = FRAME.schema


def where(spec: dict[str, Any]) -> AllOf:
    return parse_where(spec, "where")


def polars_rows(condition: Any, frame: pl.DataFrame = FRAME) -> list[bool]:
    """One boolean per row; a literal-only expression (AllOf()) is broadcast to the frame's height."""
    result = frame.with_columns(rules.to_expr(condition, frame.schema).alias("__m")).get_column("__m")
    assert result.dtype == pl.Boolean
    assert result.null_count() == 0, "to_expr must never give null"
    return result.to_list()


_CON: duckdb.DuckDBPyConnection | None = None


def con() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB for the module: connecting is the slow part."""
    global _CON
    if _CON is None:
        _CON = duckdb.connect()
    return _CON


def duck_value(sql: str) -> Any:
    return con().execute(f"SELECT {sql}").fetchall()[0][0]


def duckdb_rows(condition: Any, frame: pl.DataFrame = FRAME) -> list[bool]:
    db = con()
    db.register("t", frame.with_row_index("__row").to_arrow())
    try:
        sql = rules.to_sql(condition, frame.schema)
        return [row[0] for row in db.execute(f"SELECT {sql} AS m FROM t ORDER BY __row").fetchall()]
    finally:
        db.unregister("t")


# --- each op, with nulls ----------------------------------------------------------------------

CASES: list[tuple[str, dict[str, Any], list[bool]]] = [
    ("min int", {"employees": {"min": 250}}, [F, T, F, T, T, F]),
    ("max int", {"employees": {"max": 250}}, [T, T, F, F, F, T]),
    ("gt int", {"employees": {"gt": 250}}, [F, F, F, T, T, F]),
    ("lt int", {"employees": {"lt": 250}}, [T, F, F, F, F, T]),
    ("min and max", {"employees": {"min": 10, "max": 1200}}, [T, T, F, F, T, F]),
    ("min float", {"score": {"min": 79.9}}, [F, F, T, T, T, F]),
    ("gt float", {"score": {"gt": 1.5}}, [F, F, T, T, T, F]),
    ("lt zero", {"score": {"lt": 0}}, [F, F, F, F, F, T]),
    ("max float on int", {"employees": {"max": 9.5}}, [F, F, F, F, F, T]),
    ("eq text", {"industry": {"eq": "Fintech"}}, [T, F, F, F, F, F]),
    ("ne text", {"industry": {"ne": "Fintech"}}, [F, T, F, T, T, T]),
    ("ne int", {"employees": {"ne": 10}}, [F, T, F, T, T, T]),
    ("eq float on int", {"employees": {"eq": 250.0}}, [F, T, F, F, F, F]),
    ("in text", {"industry": {"in": ["Fintech", "Retail"]}}, [T, F, F, F, T, F]),
    ("not_in text", {"industry": {"not_in": ["Fintech", "Retail"]}}, [F, T, F, T, F, T]),
    ("in int", {"employees": {"in": [10, 5000]}}, [T, F, F, T, F, F]),
    ("not_in int", {"employees": {"not_in": [10]}}, [F, T, F, T, T, T]),
    ("in ints on float", {"score": {"in": [80, 100]}}, [F, F, T, F, T, F]),
    ("contains text, any case", {"industry": {"contains": "FIN"}}, [T, F, F, T, F, F]),
    ("contains text 2", {"industry": {"contains": "tech"}}, [T, T, F, T, F, F]),
    ("contains %", {"note": {"contains": "%"}}, [T, F, F, F, F, T]),
    ("contains _", {"note": {"contains": "_"}}, [F, T, F, F, F, F]),
    ("contains quote", {"note": {"contains": "o'b"}}, [F, F, F, T, F, F]),
    ("eq quote", {"note": {"eq": "O'Brien"}}, [F, F, F, T, F, F]),
    ("contains list element", {"tech_stack": {"contains": "Snowflake"}}, [T, F, F, F, F, T]),
    ("contains list is not substring", {"tech_stack": {"contains": "Snow"}}, [F, F, F, F, F, F]),
    ("contains list 2", {"tech_stack": {"contains": "HubSpot"}}, [F, F, F, T, F, F]),
    ("min date", {"founded": {"min": dt.date(2020, 1, 1)}}, [T, F, F, T, T, F]),
    ("lt date", {"founded": {"lt": dt.date(2020, 1, 1)}}, [F, F, T, F, F, T]),
    ("eq date", {"founded": {"eq": dt.date(2020, 1, 1)}}, [T, F, F, F, T, F]),
    ("ne date", {"founded": {"ne": dt.date(2020, 1, 1)}}, [F, F, T, T, F, T]),
    ("in dates", {"founded": {"in": [dt.date(1999, 1, 1), dt.date(2019, 5, 6)]}}, [F, F, T, F, F, T]),
    ("eq bool", {"active": {"eq": True}}, [T, F, F, T, F, T]),
    ("ne bool", {"active": {"ne": True}}, [F, T, F, F, T, F]),
    ("is_null true", {"cloud": {"is_null": True}}, [F, F, T, F, F, T]),
    ("is_null false", {"cloud": {"is_null": False}}, [T, T, F, T, T, F]),
    ("is_null on list: an empty list is not null", {"tech_stack": {"is_null": True}}, [F, F, T, F, F, F]),
    ("is_null on bool", {"active": {"is_null": True}}, [F, F, T, F, F, F]),
    ("odd column name", {"HQ country": {"eq": "US"}}, [T, F, T, F, F, T]),
    ("and", {"employees": {"min": 200}, "industry": {"contains": "tech"}}, [F, T, F, T, F, F]),
    ("not eq: null holds", {"not": {"cloud": {"eq": "on-prem"}}}, [T, F, T, T, F, T]),
    ("not ne: null holds", {"not": {"industry": {"ne": "Fintech"}}}, [T, F, T, F, F, F]),
    ("not lt", {"not": {"employees": {"lt": 250}}}, [F, T, T, T, T, F]),
    ("not in", {"not": {"industry": {"in": ["Fintech"]}}}, [F, T, T, T, T, T]),
    ("not not", {"not": {"not": {"cloud": {"eq": "aws"}}}}, [T, F, F, F, F, F]),
    ("not of everything", {"not": {}}, [F, F, F, F, F, F]),
    ("any", {"any": [{"employees": {"min": 1000}}, {"cloud": {"eq": "aws"}}]}, [T, F, F, T, T, F]),
    (
        "any with is_null",
        {"any": [{"cloud": {"is_null": True}}, {"cloud": {"eq": "gcp"}}]},
        [F, F, T, T, F, T],
    ),
    ("any with an empty table", {"any": [{"employees": {"gt": 10**9}}, {}]}, [T] * 6),
    ("any of one false", {"any": [{"employees": {"gt": 10**9}}]}, [F] * 6),
    (
        "any of not",
        {"any": [{"not": {"score": {"min": 50}}}, {"employees": {"eq": 5000}}]},
        [T, T, F, T, F, T],
    ),
    ("not any", {"not": {"any": [{"score": {"min": 50}}, {"cloud": {"eq": "aws"}}]}}, [F, T, F, F, F, T]),
    ("sql and", {"sql": "employees > 100 AND score > 50"}, [F, F, F, T, T, F]),
    ("sql or is null", {"sql": "cloud = 'on-prem' OR cloud IS NULL"}, [F, T, T, F, T, T]),
    ("sql arithmetic", {"sql": "score * 10 >= employees / 2"}, [T, F, F, F, T, F]),
    ("sql arithmetic 2", {"sql": "employees / 4 > score"}, [T, F, F, T, T, T]),
    ("not sql: null holds", {"not": {"sql": "score > 50"}}, [T, T, F, F, F, T]),
    ("sql with a test", {"sql": "employees >= 0", "cloud": {"ne": "aws"}}, [F, T, F, T, T, F]),
    ("everything", {}, [T] * 6),
]


@pytest.mark.parametrize(("spec", "expected"), [(s, e) for _, s, e in CASES], ids=[n for n, _, _ in CASES])
def test_polars_rendering(spec: dict[str, Any], expected: list[bool]) -> None:
    assert polars_rows(where(spec)) == expected


@pytest.mark.parametrize(("spec", "expected"), [(s, e) for _, s, e in CASES], ids=[n for n, _, _ in CASES])
def test_sql_rendering_agrees_in_duckdb(spec: dict[str, Any], expected: list[bool]) -> None:
    condition = where(spec)
    assert duckdb_rows(condition) == expected, rules.to_sql(condition, SCHEMA)


def test_cases_cover_every_op_and_special_key() -> None:
    ops: set[str] = set()
    keys: set[str] = set()

    def walk(spec: dict[str, Any]) -> None:
        for key, value in spec.items():
            if key == "any":
                keys.add(key)
                for alt in value:
                    walk(alt)
            elif key == "not":
                keys.add(key)
                walk(value)
            elif key == "sql":
                keys.add(key)
            else:
                ops.update(value)

    for _, spec, _ in CASES:
        walk(spec)
    assert ops == {"min", "max", "gt", "lt", "eq", "ne", "in", "not_in", "contains", "is_null"}
    assert keys == {"any", "not", "sql"}


def test_null_comparisons_are_false_not_null() -> None:
    """On a row where every value is missing, each comparison is false, and `not` of it is true."""
    nulls = pl.DataFrame([pl.Series(name, [None, None], dtype) for name, dtype in SCHEMA.items()])
    for spec in (
        {"employees": {"ne": 1}},
        {"industry": {"not_in": ["x"]}},
        {"score": {"lt": 10**9}},
        {"score": {"min": -(10**9)}},
        {"industry": {"eq": "x"}},
        {"employees": {"in": [1]}},
        {"founded": {"ne": dt.date(2000, 1, 1)}},
        {"tech_stack": {"contains": "Gong"}},
        {"industry": {"contains": "a"}},
        {"active": {"ne": True}},
        {"active": {"eq": False}},
        {"cloud": {"is_null": False}},
        {"sql": "employees < 1000000000"},
        {"sql": "industry <> 'x'"},
    ):
        assert polars_rows(where(spec), nulls) == [False, False], spec
        assert polars_rows(Not(where(spec)), nulls) == [True, True], spec
        assert duckdb_rows(where(spec), nulls) == [False, False], spec
        assert duckdb_rows(Not(where(spec)), nulls) == [True, True], spec
    assert polars_rows(where({"cloud": {"is_null": True}}), nulls) == [True, True]
    assert polars_rows(where({"any": [{"cloud": {"eq": "x"}}, {"cloud": {"ne": "x"}}]}), nulls) == [
        False,
        False,
    ]


def test_match_all_matches_every_row() -> None:
    assert AllOf() == MATCH_ALL
    assert polars_rows(AllOf()) == [True] * FRAME.height
    assert FRAME.filter(rules.to_expr(AllOf(), SCHEMA)).height == FRAME.height
    assert rules.to_sql(AllOf(), SCHEMA) == "TRUE"
    assert duckdb_rows(AllOf()) == [True] * FRAME.height


def test_bare_conditions_render_too() -> None:
    """to_expr / to_sql take any Condition, not only a where table."""
    for condition in (
        Compare("employees", "min", 250),
        Sql("employees >= 250"),
        AnyOf((Compare("employees", "min", 250),)),
        Not(Compare("employees", "lt", 250)),
    ):
        assert polars_rows(condition) == duckdb_rows(condition)
    assert polars_rows(Compare("employees", "min", 250)) == [F, T, F, T, T, F]
    assert polars_rows(Not(Compare("employees", "lt", 250))) == [F, T, T, T, T, F]


def test_in_on_an_int64_column_compares_in_the_columns_type() -> None:
    frame = pl.DataFrame({"n": [1, 2, 3, None]}, schema={"n": pl.Int64})
    assert polars_rows(where({"n": {"in": [1, 3]}}), frame) == [T, F, T, F]
    assert polars_rows(where({"n": {"not_in": [1, 3]}}), frame) == [F, T, F, F]
    assert polars_rows(where({"n": {"in": [2.0]}}), frame) == [F, T, F, F]
    assert duckdb_rows(where({"n": {"in": [2.0]}}), frame) == [F, T, F, F]


@pytest.mark.parametrize("values", [[1, 2.5], [2.5, 1], [2.5]])
@pytest.mark.parametrize("dtype", [pl.Int64, pl.Float64])
def test_in_with_fractional_values_is_exact(values: list[float], dtype: pl.DataType) -> None:
    """`in = [1, 2.5]` is valid TOML and passes validation; 2 is not in it, 2.5 is (on a float column)."""
    frame = pl.DataFrame({"n": [1, 2, 3, None]}, schema={"n": dtype})
    if dtype == pl.Float64:
        frame = pl.DataFrame({"n": [1.0, 2.0, 2.5, None]}, schema={"n": dtype})
    expected = [1 in values, False, dtype == pl.Float64 and 2.5 in values, False]
    condition = where({"n": {"in": values}})
    assert polars_rows(condition, frame) == expected
    assert duckdb_rows(condition, frame) == expected
    expected_not = [not e for e in expected[:3]] + [False]
    assert polars_rows(where({"n": {"not_in": values}}), frame) == expected_not


def test_to_expr_evaluates_sql_with_polars_own_parser() -> None:
    expr = rules.to_expr(Sql("employees > 100 AND score > 50"), SCHEMA)
    assert isinstance(expr, pl.Expr)
    assert FRAME.select(expr).to_series().to_list() == [F, F, F, T, T, F]


# --- SQL text -------------------------------------------------------------------------------


def test_sql_literal() -> None:
    assert rules.sql_literal(True) == "TRUE"
    assert rules.sql_literal(False) == "FALSE"
    assert rules.sql_literal(42) == "42"
    assert rules.sql_literal(-1.5) == "-1.5"
    assert rules.sql_literal(dt.date(2026, 11, 22)) == "DATE '2026-11-22'"
    assert rules.sql_literal("O'Brien") == "'O''Brien'"
    assert rules.sql_literal("") == "''"


@pytest.mark.parametrize(
    "value",
    [
        0,
        -7,
        2**62,
        1.25,
        1e20,
        1e-7,
        True,
        False,
        dt.date(1999, 12, 31),
        "O'Brien",
        "100%",
        'say "hi"',
        "ü ✓",
        "a\\b",
    ],
)
def test_sql_literal_reads_back_in_duckdb(value: object) -> None:
    assert duck_value(rules.sql_literal(value)) == value


@pytest.mark.parametrize("value", [float("inf"), float("-inf")])
def test_sql_literal_of_infinity_is_valid_sql(value: float) -> None:
    """TOML allows `min = inf`; the SQL rendering must still run, and agree with Polars."""
    assert duck_value(rules.sql_literal(value)) == value
    condition = where({"score": {"lt": value}})
    assert duckdb_rows(condition) == polars_rows(condition)


def test_sql_quotes_identifiers() -> None:
    assert rules.quote_identifier("HQ country") == '"HQ country"'
    assert rules.quote_identifier('a"b') == '"a""b"'
    frame = pl.DataFrame({'a"b': [1, None, 3]})
    assert duckdb_rows(where({'a"b': {"min": 2}}), frame) == polars_rows(where({'a"b': {"min": 2}}), frame)


def test_sql_text_shapes() -> None:
    assert rules.to_sql(where({"employees": {"min": 200}}), SCHEMA) == '(COALESCE("employees" >= 200, FALSE))'
    text = rules.to_sql(where({"tech_stack": {"contains": "Snowflake"}}), SCHEMA, dialect="postgres")
    assert "'Snowflake' = ANY(\"tech_stack\")" in text
    assert "list_contains" in rules.to_sql(where({"tech_stack": {"contains": "Snowflake"}}), SCHEMA)
    assert "LOWER" in rules.to_sql(where({"industry": {"contains": "FIN"}}), SCHEMA)
    assert "'fin'" in rules.to_sql(where({"industry": {"contains": "FIN"}}), SCHEMA)
    not_sql = rules.to_sql(where({"not": {"sql": "score > 50"}}), SCHEMA)
    assert "NOT" in not_sql and "COALESCE((\"score\" > 50), FALSE)" in not_sql


# --- columns and words ----------------------------------------------------------------------


def test_columns() -> None:
    condition = where(
        {
            "employees": {"min": 1},
            "any": [{"industry": {"eq": "x"}}, {"not": {"cloud": {"is_null": True}}}],
            "sql": "engagement_recent >= 3 * (engagement_window - engagement_recent) / 2",
        }
    )
    assert rules.columns(condition) == {
        "employees",
        "industry",
        "cloud",
        "engagement_recent",
        "engagement_window",
    }
    assert rules.columns(AllOf()) == set()


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (
            {"fit_score": {"min": 80}, "engagement_recent": {"min": 20}},
            "fit_score ≥ 80 and engagement_recent ≥ 20",
        ),
        ({"annual_revenue": {"min": 20000000}}, "annual_revenue ≥ 20,000,000"),
        (
            {"employees": {"max": 5000, "gt": 1.5}, "days": {"lt": 7}},
            "employees ≤ 5,000 and employees > 1.5 and days < 7",
        ),
        ({"industry": {"in": ["Fintech", "HR Tech"]}}, "industry in [Fintech, HR Tech]"),
        ({"region": {"not_in": ["APAC"]}}, "region not in [APAC]"),
        ({"cloud": {"eq": "aws", "ne": "gcp"}}, "cloud = aws and cloud ≠ gcp"),
        ({"tech_stack": {"contains": "Snowflake"}}, 'tech_stack contains "Snowflake"'),
        ({"owner": {"is_null": True}}, "owner is missing"),
        ({"owner": {"is_null": False}}, "owner is known"),
        ({"founded": {"lt": dt.date(2020, 1, 1)}}, "founded < 2020-01-01"),
        ({"not": {"cloud": {"eq": "on-prem"}}}, "not (cloud = on-prem)"),
        ({"any": [{"a": {"min": 1}}, {"b": {"is_null": True}}]}, "any of (a ≥ 1; b is missing)"),
        ({"sql": "x > 1"}, "x > 1"),
        ({}, "every account"),
    ],
)
def test_describe(spec: dict[str, Any], words: str) -> None:
    assert rules.describe(where(spec)) == words


def test_format_value() -> None:
    assert rules.format_value(1234567) == "1,234,567"
    assert rules.format_value(80.0) == "80"
    assert rules.format_value(0.1) == "0.1"
    assert rules.format_value(2.5) == "2.5"
    assert rules.format_value(dt.date(2026, 1, 2)) == "2026-01-02"
    assert rules.format_value(None) == "missing"
    assert rules.format_value(("a", 1000)) == "[a, 1,000]"
    assert rules.format_value("text") == "text"


# --- the bundled demo data ------------------------------------------------------------------


def _bundled_conditions() -> list[tuple[str, AllOf]]:
    plan = load_plan(BUNDLED_PLAN)
    found = [(f"fit.criteria[{i}]", c.where) for i, c in enumerate(plan.criteria)]
    found += [(f"buckets[{i}]", b.where) for i, b in enumerate(plan.buckets)]
    found += [(f"stages[{i}]", s.where) for i, s in enumerate(plan.stages)]
    found += [(f"tiers[{i}]", t.where) for i, t in enumerate(plan.tiers)]
    return found


def test_bundled_plan_rules_agree_between_polars_and_duckdb_on_the_demo_data() -> None:
    if not BUNDLED_ACCOUNTS.exists():
        pytest.skip(f"{BUNDLED_ACCOUNTS} is not there yet")
    from abm_tui import Session

    session = Session.open(BUNDLED_PLAN)
    plan = session.plan
    assignment = session.assignment()
    frame = session.engine.frame(plan).with_columns(
        pl.Series("fit_score", assignment.fit_score),
        pl.Series(
            "bucket", np.asarray(assignment.bucket_labels, dtype=object)[assignment.bucket], dtype=pl.String
        ),
        pl.Series(
            "stage", np.asarray(assignment.stage_labels, dtype=object)[assignment.stage], dtype=pl.String
        ),
    )
    assert frame.height > 0
    db = duckdb.connect()
    db.register("t", frame.with_row_index("__row").to_arrow())
    conditions = _bundled_conditions()
    assert len(conditions) == len(plan.criteria) + len(plan.buckets) + len(plan.stages) + len(plan.tiers)
    some_true = 0
    for label, condition in conditions:
        ours = polars_rows(condition, frame)
        sql = rules.to_sql(condition, frame.schema)
        theirs = [row[0] for row in db.execute(f"SELECT {sql} AS m FROM t ORDER BY __row").fetchall()]
        assert len(theirs) == frame.height
        disagree = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
        assert not disagree, f"{label}: {len(disagree)} rows differ, first {disagree[:5]}; SQL: {sql}"
        some_true += any(ours) and not all(ours)
    db.close()
    assert some_true >= len(conditions) // 2, "the demo data should exercise the rules both ways"
