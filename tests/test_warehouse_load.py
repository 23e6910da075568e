"""The warehouse path as the README tells a user to follow it (issue 14, points 11 to 13).

`abm-tui export --to sql --dialect D` writes plan.sql, load.sql and the cleaned accounts and matched
events under warehouse/. Here DuckDB and a real PostgreSQL (tests/postgres.py) run load.sql from the
export folder, exactly as written (Postgres through the psql client), then plan.sql, and every
account's answer is held to the engine's: for the demo, and for the real Fortune 1000 list with
engagement matched by company name and a `sql` rule that divides. The other warehouses cannot run
here; their plan.sql and load.sql are parsed by sqlglot in their own dialect.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import psycopg
import pytest
import sqlglot

from abm_tui import cli
from abm_tui.engine.features import CHANNELS
from abm_tui.errors import AbmError
from abm_tui.files import stage
from abm_tui.outputs.warehouse import (
    DIALECTS,
    OUTPUT_COLUMNS,
    WRITTEN,
    copy_frame,
    create_table,
    load_script,
    plan_sql,
)
from abm_tui.session import Session
from tests.postgres import postgres, query  # noqa: F401  (postgres is a fixture)

AS_OF = dt.date(2026, 11, 20)


def export(plan: Path, out: Path, dialect: str) -> Path:
    assert cli.main(["export", str(plan), "--to", "sql", "--dialect", dialect, "--out", str(out)]) == 0
    return out


def engine_answer(plan: Path) -> pl.DataFrame:
    return Session.open(plan).assignments().select(OUTPUT_COLUMNS).sort("account_id")


def assert_agrees(got: pl.DataFrame, want: pl.DataFrame, where: str) -> None:
    assert tuple(got.columns) == OUTPUT_COLUMNS
    got = got.with_columns(pl.col("fit_score").cast(pl.Int64)).sort("account_id")
    assert got["account_id"].to_list() == want["account_id"].to_list(), f"{where}: one row per account"
    joined = want.join(got, on="account_id", suffix="_sql")
    for column in OUTPUT_COLUMNS[1:]:
        differ = joined.filter(pl.col(column) != pl.col(f"{column}_sql"))
        assert differ.height == 0, f"{where}: {differ.height} accounts differ in {column}:\n{differ.head(5)}"


def on_duckdb(out: Path, monkeypatch: pytest.MonkeyPatch) -> pl.DataFrame:
    """load.sql then plan.sql, from the export folder, as `duckdb abm.duckdb < load.sql` would run them."""
    monkeypatch.chdir(out)
    con = duckdb.connect(str(out / "abm.duckdb"))
    con.execute((out / "load.sql").read_text(encoding="utf-8"))
    return pl.from_arrow(con.sql((out / "plan.sql").read_text(encoding="utf-8")).to_arrow_table())


def on_postgres_table(folder: Path, server: str, database: str, sql: str) -> pl.DataFrame:
    """Run load.sql in `folder` through psql, as the README says, into a fresh database; then `sql`."""
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{database}"')
    target = re.sub(r"dbname=\S+", f"dbname={database}", server)
    loaded = subprocess.run(["psql", target, "-v", "ON_ERROR_STOP=1", "-q", "-f", "load.sql"], cwd=folder,
                            capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    with psycopg.connect(target) as connection:
        return query(connection, sql)


def on_postgres(out: Path, server: str, database: str) -> pl.DataFrame:
    return on_postgres_table(out, server, database, (out / "plan.sql").read_text(encoding="utf-8"))


def fortune_plan(folder: Path, realdata: Path) -> Path:
    """The Fortune 1000 with engagement keyed by company name (some unknown, some after as-of, some without a
    channel), a sql rule dividing revenue by headcount, intent and persona rules and tier limits."""
    companies = pl.read_csv(realdata / "Fortune_1000.csv", infer_schema_length=10_000).get_column("company")
    rng = np.random.default_rng(14)
    n = 20_000
    pl.DataFrame({
        "company_name": rng.choice(companies.to_list()[:600] + ["Nobody We Know Ltd"], n),
        "date": [AS_OF - dt.timedelta(days=int(d)) for d in rng.integers(-10, 300, n)],
        "channel": pl.Series(rng.choice(list(CHANNELS), n)).scatter(rng.integers(0, n, 50), None),
        "count": rng.integers(1, 4, n),
        "intent_theme": pl.Series(rng.choice(["Cloud cost", "AI governance"], n)).scatter(rng.integers(0, n, n // 2),
                                                                                          None),
        "persona": rng.choice(["CIO", "CFO", "Procurement"], n),
    }).write_csv(folder / "engagement.csv")
    plan = folder / "plan.toml"
    plan.write_text(f"""version = 1
name = "Fortune 1000 in the warehouse"
as_of = {AS_OF.isoformat()}
[data]
accounts = "{realdata / 'Fortune_1000.csv'}"
engagement = "engagement.csv"
[data.columns]
account_id = "company"
name = "company"
industry = "sector"
employees = "num. of employees"
annual_revenue = "revenue"
[[fit.criteria]]
name = "Revenue per head over $500k"
points = 40
where = {{ sql = "annual_revenue * 1000000 / employees > 500000" }}
[[fit.criteria]]
name = "Tech or financials"
points = 30
where = {{ industry = {{ in = ["Technology", "Financials"] }} }}
[[fit.criteria]]
name = "Big"
points = 20
where = {{ employees = {{ min = 20000 }} }}
[[buckets]]
name = "Hot"
where = {{ engagement_recent = {{ min = 15 }} }}
[[stages]]
name = "Researching AI"
where = {{ top_intent_theme = {{ eq = "AI governance" }}, personas_engaged = {{ contains = "CIO" }} }}
[[stages]]
name = "Evaluating"
where = {{ demo_request_window = {{ min = 1 }} }}
[[tiers]]
name = "Tier 1"
where = {{ fit_score = {{ min = 70 }} }}
limit = 30
[[tiers]]
name = "Tier 2"
where = {{ fit_score = {{ min = 40 }} }}
[[plays]]
tier = "Tier 1"
campaign = "exec briefings"
""")
    return plan


# --- DuckDB and Postgres, for real ---------------------------------------------------------------


@pytest.mark.cli
def test_the_demo_through_load_sql_on_duckdb_and_postgres(demo_plan_path: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          postgres: str) -> None:  # noqa: F811
    want = engine_answer(demo_plan_path)
    duck = export(demo_plan_path, tmp_path / "duckdb", "duckdb")
    assert {p.relative_to(duck).as_posix() for p in duck.rglob("*") if p.is_file()} >= {
        "plan.sql", "load.sql", "warehouse/accounts.parquet", "warehouse/events.parquet", "manifest.json"}
    assert_agrees(on_duckdb(duck, monkeypatch), want, "duckdb")
    pg = export(demo_plan_path, tmp_path / "postgres", "postgres")
    assert (pg / "warehouse" / "accounts.copy").is_file()
    assert '"tech_stack" TEXT[]' in (pg / "load.sql").read_text()
    assert_agrees(on_postgres(pg, postgres, "demo"), want, "postgres")


@pytest.mark.cli
@pytest.mark.realdata
def test_a_real_file_with_matched_events_and_a_dividing_sql_rule(realdata: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 postgres: str) -> None:  # noqa: F811
    plan = fortune_plan(tmp_path, realdata)
    want = engine_answer(plan)
    assert want.height == 1000
    assert set(want["tier"]) == {"Tier 1", "Tier 2", "Not target"}
    assert {"Researching AI", "Evaluating"} <= set(want["stage"])
    duck = export(plan, tmp_path / "duckdb", "duckdb")
    events = pl.read_parquet(duck / "warehouse" / "events.parquet")
    assert events.columns[0] == "account_id" and "company_name" not in events.columns
    assert events["account_id"].is_in(want["account_id"].implode()).all(), "only matched events, by account_id"
    assert "Nobody We Know Ltd" not in set(events["account_id"])
    assert_agrees(on_duckdb(duck, monkeypatch), want, "duckdb")
    assert_agrees(on_postgres(export(plan, tmp_path / "postgres", "postgres"), postgres, "fortune"), want,
                  "postgres")


# --- the other warehouses, parsed in their own dialect -------------------------------------------


@pytest.mark.cli
@pytest.mark.parametrize("dialect", [d for d in DIALECTS if d not in WRITTEN])
def test_other_warehouses_get_sql_that_parses_in_their_dialect(dialect: str, demo_plan_path: Path,
                                                               tmp_path: Path) -> None:
    out = export(demo_plan_path, tmp_path, dialect)
    text = (out / "plan.sql").read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("-- Demo: FY27 Q1 ABM plan (plan ")
    assert f"as one {dialect} query (DuckDB's text translated by sqlglot" in text
    [statement] = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    assert isinstance(statement, sqlglot.exp.Select)
    assert "DATE_DIFF('day'" not in text and "list_contains" not in text, "DuckDB's own words are translated"
    load = (out / "load.sql").read_text(encoding="utf-8")
    creates = [s for s in sqlglot.parse(load, read=dialect)
               if isinstance(s, sqlglot.exp.Create) and s.args["kind"] == "TABLE"]
    assert [c.this.this.name for c in creates] == ["accounts", "events"]
    lists = {"snowflake": '"tech_stack" ARRAY', "bigquery": "`tech_stack` ARRAY<STRING>",
             "redshift": '"tech_stack" SUPER', "databricks": "`tech_stack` ARRAY<STRING>"}
    assert lists[dialect] in load


@pytest.mark.realdata
def test_every_dialect_writes_the_fortune_plan(realdata: Path, tmp_path: Path) -> None:
    """Intent, personas and a limit: what each dialect's translation must carry (ordered aggregates are not used)."""
    session = Session.open(fortune_plan(tmp_path, realdata))
    workspace = session.workspace
    for dialect in DIALECTS:
        text = plan_sql(session.plan, workspace.dataset.accounts.schema, workspace.channels, workspace.as_of, dialect)
        assert text.rstrip().endswith(";")
        assert len([s for s in sqlglot.parse(text, read=dialect) if s is not None]) == 1


# --- the pieces --------------------------------------------------------------------------------


def test_plan_sql_ends_with_a_semicolon_under_a_header_naming_plan_hash_and_date(demo_plan_path: Path,
                                                                                 tmp_path: Path) -> None:
    out = export(demo_plan_path, tmp_path, "duckdb")
    text = (out / "plan.sql").read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert re.fullmatch(r"-- Demo: FY27 Q1 ABM plan \(plan [0-9a-f]{12}, as of 2026-11-20\)", first), first
    assert text.endswith(";\n")


def test_awkward_values_load_into_postgres_exactly(tmp_path: Path, postgres: str) -> None:  # noqa: F811
    """Tabs, line breaks, quotes, backslashes, commas, empty text beside missing text, lists with those and
    with missing elements, infinities and dates: through copy_frame, the staged load file and psql's \\copy,
    Postgres holds exactly the frame."""
    frame = pl.DataFrame({
        "account_id": ["1", "2", "3", "4", "5"],
        "a": ["tab\there", "line\nbreak", 'back\\slash "q"', "", None],
        "tags": [["x", 'say "hi", ok'], [], None, ["back\\slash", None], ["{braces}"]],
        "n": [1.5, None, float("inf"), 2.0, 1e20],
        "d": [dt.date(2026, 1, 2), None, None, None, dt.date(1999, 12, 31)],
        "ok": [True, False, None, True, False],
    })
    stage(tmp_path, [("warehouse/t.copy", copy_frame(frame))])
    staged = next(tmp_path.glob(".abm-tui-staging-*"))
    (staged / "load.sql").write_text(load_script("postgres", [("t", "warehouse/t.parquet", frame.schema)], "test"))
    got = on_postgres_table(staged, postgres, "awkward", 'SELECT * FROM "t" ORDER BY "account_id"')
    assert got.equals(frame), got


def test_create_table_names_each_warehouses_types() -> None:
    schema = {"account_id": pl.String(), "tech_stack": pl.List(pl.String), "employees": pl.Int64(),
              "annual_revenue": pl.Float64(), "founded": pl.Date()}
    assert create_table("abm.accounts", schema, "postgres") == (
        'CREATE TABLE "abm"."accounts" (\n  "account_id" TEXT,\n  "tech_stack" TEXT[],\n  "employees" BIGINT,\n'
        '  "annual_revenue" DOUBLE PRECISION,\n  "founded" DATE\n)')
    assert "`tech_stack` ARRAY<STRING>" in create_table("accounts", schema, "bigquery")
    assert '"tech_stack" TEXT[]' in create_table("accounts", schema, "duckdb")
    assert '"account_id" VARCHAR(MAX)' in create_table("accounts", schema, "redshift")


@pytest.mark.cli
def test_an_unknown_dialect_is_a_usage_error(demo_plan_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["export", str(demo_plan_path), "--to", "sql", "--dialect", "oracle"])
    assert exit_.value.code == 2
    assert "invalid choice: 'oracle'" in capsys.readouterr().err
    with pytest.raises(AbmError, match="unknown SQL dialect 'oracle'"):
        session = Session.open(demo_plan_path)
        plan_sql(session.plan, session.workspace.dataset.accounts.schema, session.workspace.channels,
                 session.as_of, "oracle")
