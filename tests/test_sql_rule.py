"""A `sql` rule cannot read files, and renders the same on every engine (issue 12.1, 12.3, 12.10).

Every attack string from the issue is tried through the command line on a real plan, against a file
holding a secret line: each is refused with the key path, and the secret never reaches the output.
The renderings are run on real DuckDB and a real PostgreSQL and compared with the engine.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import polars as pl
import psycopg
import pytest

from abm_tui import cli
from abm_tui.engine.segment import Engine
from abm_tui.history.snapshots import META_KEY
from abm_tui.ingest.load import load_events, usable
from abm_tui.outputs.warehouse import OUTPUT_COLUMNS
from abm_tui.plan import rules, sql_rule
from abm_tui.plan.model import AllOf, Plan, Sql
from abm_tui.session import Session
from tests.postgres import load_table, postgres, query  # noqa: F401  (postgres is a fixture)
from tests.test_warehouse import assert_same, engine_answer

SECRET = "hunter2-the-secret-first-line"
ACCOUNTS = ("account_id,name,industry,employees,annual_revenue\n"
            "1,Acme,Software,500,1000000\n2,Beta,Fintech,1500,5000000\n3,Gamma,Software,2000,\n"
            "4,Delta,Retail,999,2500000\n5,Epsilon,,3000,100\n6,École,Éducation,10,0\n")


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "secret.csv").write_text(f"{SECRET}\n1\n2\n")
    (tmp_path / "secret.json").write_text(json.dumps([{SECRET: 1}]))
    pl.DataFrame({SECRET: [1, 2]}).write_parquet(tmp_path / "secret.parquet")
    return tmp_path


def write_plan(folder: Path, sql: str) -> Path:
    plan = folder / "plan.toml"
    escaped = sql.replace("\\", "\\\\").replace('"', '\\"')
    plan.write_text(f'version = 1\n[data]\naccounts = "accounts.csv"\n[[tiers]]\nname = "T"\n'
                    f'where = {{ sql = "{escaped}" }}\n')
    return plan


def attacks(folder: Path) -> list[str]:
    csv, js, parquet = (folder / "secret.csv", folder / "secret.json", folder / "secret.parquet")
    return [
        f"(SELECT nosuch FROM read_csv('{csv}')) > 0",
        f"(SELECT nosuch FROM read_csv('{csv}', skip_rows => 1)) > 0",
        f"(SELECT nosuch FROM read_parquet('{parquet}')) > 0",
        f"(SELECT nosuch FROM read_json('{js}')) > 0",
        f"employees IN (SELECT n FROM read_csv('{csv}'))",
        f"read_csv('{csv}') IS NULL",
        f"employees > 1; SELECT * FROM read_csv('{csv}')",
        f"employees > (SELECT count(*) FROM '{csv}')",
    ]


@pytest.mark.cli
@pytest.mark.parametrize("command", ["validate", "run", "matrix"])
def test_no_attack_reads_a_file_or_quotes_it(folder: Path, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    for attack in attacks(folder):
        plan = write_plan(folder, attack)
        argv = [command, str(plan)] + (["--out", str(folder / "out")] if command == "run" else [])
        assert cli.main(argv) == 1, attack
        out, err = capsys.readouterr()
        assert SECRET not in out + err, attack
        assert "tiers[0].where.sql: " in err, (attack, err)
        assert "internal error" not in err
        assert not (folder / "out").exists()


def test_the_refusals_say_what_is_not_allowed() -> None:
    said = {
        "(SELECT 1) > 0": "may not hold a query",
        "x IN (SELECT 1)": "IN takes a list of values",
        "read_parquet('a') IS NULL": "read_parquet() is not allowed",
        "nosuch(x) > 1": "nosuch() is not allowed",
        "a <=> b": "null-safe",
        "a > 1; b > 1": "`;` ends a statement",
        "t.a > 1": "without a table",
        "CAST(a AS BLOB) > 1": "cannot CAST",
        "TRY_CAST(a AS INT) > 1": "Postgres has none",
        "round(a) > 1": "round() is not allowed",
        "a >": "does not parse as SQL",
    }
    for text, words in said.items():
        with pytest.raises(sql_rule.SqlRefused, match=re.escape(words)):
            sql_rule.checked(text)


@pytest.mark.cli
def test_diff_on_a_snapshot_whose_embedded_plan_reads_a_file(folder: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """The plan inside a snapshot is a plan like any other: its sql rule is checked before it is run."""
    plan = write_plan(folder, "employees >= 1000")
    assert cli.main(["run", str(plan), "--out", str(folder / "out")]) == 0
    snapshot = next((folder / "history").glob("*.parquet"))
    meta_key, meta = META_KEY, pl.read_parquet_metadata(snapshot)[META_KEY]
    embedded = json.loads(meta)
    hostile = attacks(folder)[0]
    embedded["plan"] = embedded["plan"].replace('sql = "employees >= 1000"', f'sql = "{hostile}"')
    assert hostile in embedded["plan"]
    forged = folder / "forged.parquet"
    pl.read_parquet(snapshot).write_parquet(forged, metadata={meta_key: json.dumps(embedded)})
    capsys.readouterr()
    status = cli.main(["diff", str(snapshot), str(forged)])
    out, err = capsys.readouterr()
    assert status == 1
    assert SECRET not in out + err
    assert "may not hold a query" in err
    assert "internal error" not in err


@pytest.mark.cli
def test_validate_finds_a_rule_that_fails_on_the_data(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = write_plan(folder, "CAST(name AS INT) > 5")
    assert cli.main(["validate", str(plan)]) == 1
    err = capsys.readouterr().err
    assert "tiers[0].where.sql: fails on the data:" in err
    assert len([line for line in err.splitlines() if "fails on the data" in line]) == 1
    assert "internal error" not in err


# --- the same answer on every engine --------------------------------------------------------

RULES = [
    "employees / 1000 >= 1.5",
    "employees / 1000 >= 1.5 -- a comment at the end",
    "annual_revenue / (employees - 500) > 1000",
    "employees % 2 = 0 OR lower(industry) LIKE 'soft%'",
    "CASE WHEN industry IS NULL THEN employees > 2000 ELSE employees < 1000 END",
    "coalesce(annual_revenue, 0) / 1000 BETWEEN 1 AND 3000",
    # every allowed function, and remainders (by zero, of decimals: Postgres has `%` for whole numbers only)
    "abs(employees - 1000) > 400", "ceil(employees / 1000) = 2", "floor(employees / 1000) = 1",
    "sqrt(employees) > 40",
    "coalesce(industry, 'x') = 'x'", "nullif(employees, 500) IS NULL", "greatest(employees, 1000) = 1000",
    "least(employees, 1000) = 1000", "lower(name) = 'acme'", "upper(name) = 'ACME'", "length(name) = 4",
    "trim(name) = 'Acme'", "strpos(name, 'a') > 0", "starts_with(name, 'A')", "name || 'x' = 'Acmex'",
    "IF(employees > 1000, TRUE, FALSE)", "CAST(employees AS VARCHAR) = '500'", "employees / 0 IS NULL",
    "name ILIKE 'a%'", "industry IN ('Software', 'Retail')", "-employees < -1000",
    "employees * employees * employees > 1000000000", "length(CAST(employees AS TEXT)) = 4",
    "employees % 0 = 1", "annual_revenue % (employees - 500) = 0", "CAST(annual_revenue AS DOUBLE) % 7 > 3",
    "(employees + 0.5) % 2 > 1",
    # a decimal cast to a whole number is truncated, as the engine does (DuckDB and Postgres round)
    "CAST(employees / 1000 AS INT) = 1", "CAST(-employees / 1000 AS BIGINT) = -1",
    "CAST(CASE WHEN employees > 1000 THEN employees / 1000 ELSE 0.5 END AS INT) = 0",
    # text is ordered byte-wise ('Z' < 'a'), as in the engine, whatever the database's collation
    "name < 'a'", "industry >= 'Retail' AND upper(name) LIKE 'A%'", "greatest(name, industry) > 'Fintech'",
    "lower(name) = 'école'", "upper(industry) = 'ÉDUCATION'",
]


def frame() -> pl.DataFrame:
    return pl.read_csv(ACCOUNTS.encode())


def engine_ids(text: str) -> list[int]:
    data = frame()
    return data.filter(rules.to_expr(AllOf((Sql(text),)), data.schema))["account_id"].sort().to_list()


def where_sql(text: str, dialect: str) -> str:
    return rules.to_sql(AllOf((Sql(text),)), frame().schema, dialect)


@pytest.mark.parametrize("text", RULES)
def test_duckdb_agrees_with_the_engine(text: str) -> None:
    connection = duckdb.connect()
    connection.register("accounts", frame())
    got = connection.execute(f"SELECT account_id FROM accounts WHERE {where_sql(text, 'duckdb')} ORDER BY 1").fetchall()
    assert [row[0] for row in got] == engine_ids(text)


def test_postgres_agrees_with_the_engine(postgres: str) -> None:  # noqa: F811
    with psycopg.connect(postgres) as connection:
        load_table(connection, "accounts", frame())
        for column in ("name", "industry"):  # a warehouse's own collation, which orders 'a' before 'Z'
            connection.execute(f'ALTER TABLE accounts ALTER COLUMN "{column}" TYPE TEXT COLLATE "und-x-icu"')
        for text in RULES:
            got = query(connection, f"SELECT account_id FROM accounts WHERE {where_sql(text, 'postgres')} ORDER BY 1")
            assert got["account_id"].to_list() == engine_ids(text), text


def test_integer_division_is_true_division_and_division_by_zero_is_false() -> None:
    assert engine_ids("employees / 1000 >= 1.5") == [2, 3, 5]
    assert engine_ids("annual_revenue / (employees - 500) > 0") == [2, 4, 5], "account 1 divides by zero"


def test_the_engine_uses_the_checked_tree(folder: Path) -> None:
    """A refused rule never reaches Polars, even when built in code rather than read from a file."""
    engine = Engine(frame(), None)
    with pytest.raises(sql_rule.SqlRefused):
        engine.mask(AllOf((Sql(attacks(folder)[0]),)), Plan(), "tier")


# --- a whole plan's export ------------------------------------------------------------------

BIG_TIER = ('[[tiers]]\nname = "Big"\nwhere = { sql = "employees / 1000 >= 1.5 -- a comment at the end" }\n\n'
            '[[tiers]]\nname = "Odd"\n'
            'where = { sql = "employees % 0 = 1 OR annual_revenue / (employees - 33) < 0" }\n\n')


def test_plan_sql_with_comment_and_division_runs_as_the_engine(demo_dir: Path, tmp_path: Path,
                                                               postgres: str) -> None:  # noqa: F811
    """The exported plan.sql, not just one condition: a trailing comment does not swallow the query's
    closing parenthesis, and whole numbers divide as decimals on DuckDB and on a real Postgres."""
    text = (demo_dir / "plan.toml").read_text().replace("[[tiers]]", BIG_TIER + "[[tiers]]", 1)
    plan = tmp_path / "plan.toml"
    plan.write_text(text.replace('"accounts.csv"', f'"{demo_dir / "accounts.csv"}"')
                        .replace('"engagement.parquet"', f'"{demo_dir / "engagement.parquet"}"')
                        .replace('"contacts.csv"', f'"{demo_dir / "contacts.csv"}"'))
    session = Session.open(plan)
    want = engine_answer(session)
    big = session.workspace.dataset.accounts.filter(pl.col("employees") >= 1500).height
    assert 0 < want.filter(pl.col("tier") == "Big").height == big
    texts = assert_same(session)
    assert 'COALESCE((CAST("employees" AS DOUBLE) / 1000 >= 1.5), FALSE)' in texts["duckdb"]
    for line in texts["duckdb"].splitlines():
        assert "a comment at the end" not in line.split("--")[0], "the rule's words are only ever in a comment"
    assert session.plan.data.engagement
    events = load_events(session.plan.resolve(session.plan.data.engagement)).frame.filter(usable())
    with psycopg.connect(postgres) as connection:
        load_table(connection, "accounts", session.workspace.dataset.accounts)
        load_table(connection, "events", events)
        got = query(connection, texts["postgres"]).sort("account_id")
    assert got.select(OUTPUT_COLUMNS).equals(want), "Postgres gives the engine's answer for every account"


@pytest.mark.cli
def test_null_safe_comparison_is_refused_by_validate(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", str(write_plan(folder, "industry <=> 'Software'"))]) == 1
    err = capsys.readouterr().err
    assert "tiers[0].where.sql: null-safe comparisons" in err
