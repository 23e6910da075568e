"""The plan as one SQL query, held to the Polars engine account by account.

Each test loads real files into a Session, runs `plan_sql` in an in-memory DuckDB over the same
accounts and engagement, and compares fit_score, tier, stage, bucket, segment and play for every
account. The Postgres text runs in DuckDB too (DuckDB reads `= ANY(...)` and `COLLATE "C"`), and the
demo plan's runs on a real PostgreSQL server (tests/postgres.py), so both dialects are held to the
engine, not only parsed.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import psycopg
import pytest

from abm_tui.engine.features import CHANNELS
from abm_tui.errors import AbmError, PlanError
from abm_tui.ingest.load import load_events, usable
from abm_tui.outputs.warehouse import OUTPUT_COLUMNS, WRITTEN, plan_sql
from abm_tui.session import Session
from tests.postgres import load_table, postgres, query  # noqa: F401  (postgres is a fixture)

FORTUNE = Path("/work/shared/realdata/Fortune_1000.csv")
AS_OF = dt.date(2026, 11, 20)


# --- helpers --------------------------------------------------------------------------------


def sql_for(session: Session, dialect: str = "duckdb", **tables: str) -> str:
    workspace = session.workspace
    return plan_sql(session.plan, workspace.dataset.accounts.schema, workspace.channels, workspace.as_of,
                    dialect, **tables)


def warehouse(session: Session, events: pl.DataFrame | None = None) -> duckdb.DuckDBPyConnection:
    """DuckDB holding the session's canonical accounts and, if the plan has one, its engagement file."""
    con = duckdb.connect()
    con.register("accounts", session.workspace.dataset.accounts.to_arrow())
    plan = session.plan
    if plan.data.engagement:
        if events is None:
            events = load_events(plan.resolve(plan.data.engagement)).frame.filter(usable())
        con.register("events", events.to_arrow())
    return con


def run(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    return pl.from_arrow(con.sql(sql).to_arrow_table())


def engine_answer(session: Session) -> pl.DataFrame:
    return session.assignments().select(OUTPUT_COLUMNS).sort("account_id")


def assert_same(session: Session, events: pl.DataFrame | None = None) -> dict[str, str]:
    """Both dialects' SQL gives the engine's answer for every account; returns the SQL texts."""
    want = engine_answer(session)
    con = warehouse(session, events)
    texts = {}
    for dialect in WRITTEN:
        texts[dialect] = sql_for(session, dialect)
        got = run(con, texts[dialect])
        assert tuple(got.columns) == OUTPUT_COLUMNS
        assert got["account_id"].to_list() == want["account_id"].to_list(), "one row per account, by account_id"
        joined = want.join(got, on="account_id", suffix="_sql")
        for column in OUTPUT_COLUMNS[1:]:
            differ = joined.filter(pl.col(column) != pl.col(f"{column}_sql"))
            assert differ.height == 0, (
                f"{dialect}: {differ.height} accounts differ in {column}, e.g.\n"
                f"{differ.select('account_id', column, f'{column}_sql').head(5)}"
            )
    return texts


def write_plan(folder: Path, text: str, name: str = "plan.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def labels(session: Session, column: str) -> set[str]:
    return set(engine_answer(session).get_column(column).unique().to_list())


@pytest.fixture(scope="module")
def demo(demo_plan_path: Path) -> Session:
    return Session.open(demo_plan_path)


# --- the demo plan --------------------------------------------------------------------------


def test_the_demo_plan_assigns_every_account_as_the_engine_does(demo: Session) -> None:
    assert_same(demo)
    assert demo.assignment().size == 3000
    assert sum(demo.assignment().cut_by_limit) > 0, "Tier 2's limit should bind on the demo"
    assert len(labels(demo, "play")) >= 6


def test_each_dialect_says_it_in_its_own_words(demo: Session) -> None:
    duck, pg_text = sql_for(demo, "duckdb"), sql_for(demo, "postgres")
    assert "list_contains(\"tech_stack\", 'Snowflake')" in duck
    assert "COLLATE" not in duck
    assert "'Snowflake' = ANY(\"tech_stack\")" in pg_text
    assert 'ORDER BY "account_id" COLLATE "C"' in pg_text
    assert "list_contains" not in pg_text
    for text in (duck, pg_text):
        assert len(duckdb.connect().extract_statements(text)) == 1
        assert "DATE '2026-11-20'" in text


def test_the_sql_reads_as_the_plan(demo: Session) -> None:
    text = sql_for(demo)
    assert text.startswith('-- abm-tui plan "Demo: FY27 Q1 ABM plan", as one duckdb query.')
    ctes = re.findall(r"^(\w+) AS \($", text, flags=re.MULTILINE)
    assert ctes == ["events_as_of", "channel_counts", "engagement", "features", "fit", "buckets", "stages",
                    "tier_1", "tier_2", "tier_3"]
    lines = text.splitlines()
    for cte in ctes:
        above = lines[lines.index(f"{cte} AS (") - 1]
        assert above.startswith(f"-- {cte}: "), above
    assert "-- Core industry" in text and "only the best 300 by fit_score" in text
    assert "ROW_NUMBER() OVER" in text
    assert "ORDER BY \"account_id\"" in text.splitlines()[-1]


# --- limits, ties and every kind of rule ----------------------------------------------------


def test_tier_limits_that_cut_through_ties(demo: Session, demo_dir: Path, tmp_path: Path) -> None:
    """Coarse fit scores and many accounts without engagement: the cut falls inside a run of accounts
    equal on fit_score and engagement_recent, so account_id decides, and the rest fall through."""
    frame = demo.engine.frame(demo.plan).select("account_id", "region", "employees", "engagement_recent")
    fit = (pl.when(pl.col("region") == "EMEA").then(10).otherwise(0)
           + pl.when(pl.col("employees") >= 500).then(20).otherwise(0))
    ranked = frame.with_columns(fit.alias("fit")).filter(pl.col("fit") >= 20).sort(
        ["fit", "engagement_recent", "account_id"], descending=[True, True, False])
    tied = (pl.col("fit") == pl.col("fit").shift(-1)) & (pl.col("engagement_recent") == pl.col("engagement_recent")
                                                          .shift(-1))
    positions = ranked.with_row_index().filter(tied & (pl.col("engagement_recent") == 0)).get_column("index")
    first_limit = int(positions[len(positions) // 3]) + 1
    plan = write_plan(tmp_path, f"""
version = 1
name = "Ties"
as_of = 2026-11-20
[data]
accounts = "{demo_dir / 'accounts.csv'}"
engagement = "{demo_dir / 'engagement.parquet'}"
[[fit.criteria]]
name = "EMEA"
points = 10
where = {{ region = {{ eq = "EMEA" }} }}
[[fit.criteria]]
name = "500+ people"
points = 20
where = {{ employees = {{ min = 500 }} }}
[[tiers]]
name = "First"
where = {{ fit_score = {{ min = 20 }} }}
limit = {first_limit}
[[tiers]]
name = "Second"
where = {{ fit_score = {{ min = 20 }} }}
limit = 7
[[tiers]]
name = "Rest"
where = {{ fit_score = {{ min = 10 }} }}
limit = 1000000
[[stages]]
name = "All"
""")
    session = Session.open(plan)
    counts = engine_answer(session).get_column("tier").value_counts()
    assert dict(counts.iter_rows())["First"] == first_limit
    assert dict(counts.iter_rows())["Second"] == 7
    assert session.assignment().cut_by_limit[0] > 0
    boundary = ranked.slice(first_limit - 1, 2)
    assert boundary["fit"].n_unique() == 1 and boundary["engagement_recent"].n_unique() == 1
    assert_same(session)


def test_rank_by_revenue_with_missing_values_ranks_as_the_engine_does(demo_dir: Path, tmp_path: Path) -> None:
    """A limit kept by revenue, then opportunity amount (mostly missing), then a date-free number:
    missing values rank last in the engine and in both dialects' NULLS LAST."""
    plan = write_plan(tmp_path, f"""
version = 1
name = "By revenue"
as_of = 2026-11-20
[data]
accounts = "{demo_dir / 'accounts.csv'}"
engagement = "{demo_dir / 'engagement.parquet'}"
[[fit.criteria]]
name = "EMEA"
points = 10
where = {{ region = {{ eq = "EMEA" }} }}
[[tiers]]
name = "Biggest"
where = {{ fit_score = {{ min = 10 }} }}
limit = 40
rank_by = ["annual_revenue", "opportunity_amount", "employees"]
[[tiers]]
name = "Warmest"
limit = 25
rank_by = ["opportunity_amount", "engagement_window"]
[[stages]]
name = "All"
""")
    session = Session.open(plan)
    answer = session.assignments().select("account_id", "tier").join(
        session.engine.frame(session.plan).select("account_id", "region", "annual_revenue"), on="account_id")
    emea = answer.filter(pl.col("region") == "EMEA")
    kept = emea.filter(pl.col("tier") == "Biggest").get_column("annual_revenue")
    assert kept.len() == 40 and kept.null_count() == 0
    assert kept.min() >= emea.filter(pl.col("tier") != "Biggest").get_column("annual_revenue").drop_nulls().max()
    assert answer.filter(pl.col("tier") == "Warmest").height == 25
    assert_same(session)


KITCHEN_SINK = """
version = 1
name = "Every kind of rule\\nwith a line break, a 'quote' and a \\"double\\" one"
as_of = 2026-11-20
[data]
accounts = "{demo}/accounts.csv"
engagement = "{demo}/engagement.parquet"
[engagement]
recent_days = 21
window_days = 120
# Weights made of powers of two: the engine's sum_horizontal adds channels in an order that depends
# on the thread count, and only with such weights is every order the same float.
[engagement.weights]
ad_impression = 0.25
ad_click = 1.5
webinar = 0
demo_request = 40
email_open = 0.5
podcast = 3

[[fit.criteria]]
name = "Core industry"
points = 30
where = {{ industry = {{ in = ["Fintech", "HR Tech"] }} }}
[[fit.criteria]]
name = "Not an agency"
points = 10
where = {{ not = {{ industry = {{ in = ["Media", "Professional Services"] }} }} }}
[[fit.criteria]]
name = "Warehouse or big"
points = 15
[fit.criteria.where]
any = [{{ tech_stack = {{ contains = "Snowflake" }} }}, {{ sql = "employees > 2000 AND annual_revenue >= 5e7" }}]
[[fit.criteria]]
name = "Switched off"
points = 100
enabled = false
where = {{ employees = {{ min = 1 }} }}
[[fit.criteria]]
name = "O'Neill's\\nterritory"
points = 5
where = {{ owner = {{ contains = "o'neill" }}, domain = {{ contains = ".DE" }} }}
[[fit.criteria]]
name = "Not closed"
points = -10
where = {{ crm_stage = {{ not_in = ["closed_lost", "churned"] }}, funding_stage = {{ ne = "Public" }} }}

[[buckets]]
name = "Committee on pipeline"
where = {{ intent_themes = {{ contains = "Pipeline influence" }}, persona_count = {{ min = 2 }} }}
[[buckets]]
name = "Never used"
enabled = false
[[buckets]]
name = "Top theme: scoring"
where = {{ top_intent_theme = {{ in = ["Account scoring", "CRM sync"] }} }}
[[buckets]]
name = "Silent"
where = {{ days_since_engaged = {{ is_null = true }} }}
[[buckets]]
name = "Lapsed"
where = {{ days_since_engaged = {{ gt = 45 }}, not = {{ sql = "engagement_total < 3" }} }}

[[stages]]
name = "Customer"
where = {{ crm_stage = {{ in = ["customer", "closed_won"] }} }}
[[stages]]
name = "RevOps on a fit account"
where = {{ personas_engaged = {{ contains = "RevOps" }}, fit_criteria_met = {{ contains = "Core industry" }} }}
[[stages]]
name = "Skipped"
enabled = false
[[stages]]
name = "Engaged"
where = {{ bucket = {{ in = ["Committee on pipeline", "Top theme: scoring"] }} }}
[[stages]]
name = "Open"
where = {{ any = [{{ crm_stage = {{ eq = "open_opportunity" }} }}, {{ demo_request_recent = {{ gt = 0 }} }}] }}

[[tiers]]
name = "A"
motion = "1:1"
where = {{ fit_score = {{ min = 40 }}, stage = {{ ne = "Customer" }} }}
limit = 40
[[tiers]]
name = "Off"
enabled = false
limit = 5
[[tiers]]
name = "B"
where = {{ any = [{{ fit_criteria_met = {{ contains = "Warehouse or big" }} }}, {{ bucket = {{ eq = "Lapsed" }} }}] }}
limit = 120
[[tiers]]
name = "C"
where = {{ sql = "fit_score >= 30 OR engagement_window > 10" }}

[[plays]]
tier = "A"
stage = ["Engaged", "Open"]
campaign = "1:1"
[[plays]]
name = "Disabled tier"
tier = "Off"
campaign = "never"
[[plays]]
bucket = "Lapsed"
campaign = "win back"
[[plays]]
name = "Quiet non-targets"
tier = "Not target"
bucket = ["Silent", "Unclassified"]
campaign = "nurture"
[[plays]]
stage = "Unstaged"
tier = ["B", "C"]
campaign = "research"
"""


def test_every_kind_of_rule_custom_weights_and_disabled_rules(demo_dir: Path, tmp_path: Path) -> None:
    session = Session.open(write_plan(tmp_path, KITCHEN_SINK.format(demo=demo_dir)))
    assert "podcast" not in session.workspace.channels, "a weight for a channel the events lack is allowed"
    texts = assert_same(session)
    assert labels(session, "tier") == {"A", "B", "C", "Not target"}
    assert labels(session, "bucket") >= {"Committee on pipeline", "Top theme: scoring", "Silent", "Lapsed"}
    assert labels(session, "stage") >= {"Customer", "RevOps on a fit account", "Engaged", "Open", "Unstaged"}
    assert labels(session, "play") >= {"A + Engaged or Open", "Lapsed", "Quiet non-targets", "B or C + Unstaged"}
    fit_scores = set(engine_answer(session).get_column("fit_score").to_list())
    assert min(fit_scores) < 0 < 100 > max(fit_scores), "negative points count; the disabled 100 never does"
    for text in texts.values():
        assert '-- Disabled, so left out: fit criterion "Switched off", bucket "Never used", stage "Skipped", ' \
               'tier "Off".' in text
        assert "-- O'Neill's territory" in text
        assert "'Pipeline influence'" in text and "array_agg" in text
    assert "list_contains(\"fit_criteria_met\", 'Core industry')" in texts["duckdb"]
    assert "'RevOps' = ANY(\"personas_engaged\")" in texts["postgres"]


def test_engagement_features_agree_to_the_last_tie(demo_dir: Path, tmp_path: Path) -> None:
    """Buckets that name each account's top intent theme, stages that name its persona count and tiers
    that bracket days_since_engaged: the labels then carry the features themselves, ties and all."""
    themes = ("LinkedIn ROI attribution", "Pipeline influence", "CRM sync", "Account scoring",
              "Intent-led outreach", "Competitor comparison", "Agency reporting")
    buckets = "".join(f'[[buckets]]\nname = "{t}"\nwhere = {{ top_intent_theme = {{ eq = "{t}" }} }}\n'
                      for t in themes)
    stages = "".join(f'[[stages]]\nname = "{n} personas"\nwhere = {{ persona_count = {{ eq = {n} }} }}\n'
                     for n in range(7))
    tiers = "".join(f'[[tiers]]\nname = "within {d} days"\nwhere = {{ days_since_engaged = {{ lt = {d} }} }}\n'
                    for d in (0, 1, 2, 7, 30, 90, 200))
    plan = write_plan(tmp_path, f"""
version = 1
name = "Feature probe"
as_of = 2026-10-01
[data]
accounts = "{demo_dir / 'accounts.csv'}"
engagement = "{demo_dir / 'engagement.parquet'}"
[engagement]
recent_days = 10
window_days = 45
{buckets}{stages}{tiers}""")
    session = Session.open(plan)
    assert session.report.events_after_as_of > 0, "events after as_of are in the file and must be ignored"
    assert_same(session)
    assert len(labels(session, "bucket")) >= 6 and len(labels(session, "stage")) >= 4
    assert len(labels(session, "tier")) >= 5


def test_half_lives_decay_in_the_sql_as_in_the_engine(demo: Session, demo_dir: Path, tmp_path: Path) -> None:
    """The demo plan with half-lives, and a bucket reading a decayed sum: decay moves accounts between
    buckets, and both dialects still put every account where the engine does."""
    text = (demo_dir / "plan.toml").read_text()
    for name in ("accounts.csv", "engagement.parquet"):
        text = text.replace(f'"{name}"', f'"{demo_dir / name}"')
    text = text.replace("[[fit.criteria]]", "[engagement.half_life_days]\ndemo_request = 14\npricing_page_visit = 7\n"
                        "webinar = 30.5\nad_engagement = 10\n\n[[fit.criteria]]", 1)
    text = text.replace("[[buckets]]", '[[buckets]]\nname = "Demo this fortnight"\n'
                        "where = { demo_request_recent_decayed = { min = 0.5 } }\n\n[[buckets]]", 1)
    session = Session.open(write_plan(tmp_path, text))
    texts = assert_same(session)
    for sql in texts.values():
        assert 'POWER(0.5, CAST("age" AS DOUBLE PRECISION) / 30.5)' in sql
        assert '"demo_request_recent_decayed" * 25' in sql and '"ad_click_recent" * 3' in sql
    moved = engine_answer(session).join(engine_answer(demo), on="account_id", suffix="_plain")
    assert "Demo this fortnight" in labels(session, "bucket")
    assert moved.filter(pl.col("bucket") == pl.col("bucket_plain")).height < moved.height
    assert moved.filter((pl.col("bucket_plain") == "Spiking") & (pl.col("bucket") != "Spiking")).height > 0


# --- without engagement, names, errors ------------------------------------------------------


def test_without_an_engagement_file_there_is_no_events_query(demo_dir: Path, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, f"""
version = 1
name = "Firmographics only"
[data]
accounts = "{demo_dir / 'accounts.csv'}"
[[fit.criteria]]
name = "North America"
points = 10
where = {{ region = {{ eq = "North America" }} }}
[[fit.criteria]]
name = "Salesforce shop"
points = 10
where = {{ tech_stack = {{ contains = "Salesforce" }} }}
[[tiers]]
name = "Top"
where = {{ fit_score = {{ min = 10 }} }}
limit = 333
[[tiers]]
name = "Next"
where = {{ fit_score = {{ min = 10 }} }}
[[stages]]
name = "Pipeline"
where = {{ crm_stage = {{ eq = "open_opportunity" }} }}
[[plays]]
tier = "Top"
campaign = "ads"
""")
    session = Session.open(plan)
    assert session.workspace.channels is None
    texts = assert_same(session)
    for text in texts.values():
        assert "events" not in text
        assert 'ORDER BY "fit_score" DESC NULLS LAST, "account_id"' in text, "no engagement: ties go by account_id"
    assert dict(engine_answer(session).get_column("tier").value_counts().iter_rows())["Top"] == 333


def test_account_columns_named_like_derived_ones(tmp_path: Path) -> None:
    """A file with its own `stage`, `fit_score` and `tier`: rules before the derived column read the
    file's, rules after it read the derived one, exactly as the engine decides."""
    rng = np.random.default_rng(3)
    n = 200
    pl.DataFrame({
        "account_id": [f"X{i:04d}" for i in rng.permutation(n)],
        "stage": rng.choice(["MQL", "SQL", "Won"], n),
        "fit_score": rng.integers(0, 100, n),
        "tier": rng.choice(["Gold", "Silver"], n),
        "employees": rng.integers(1, 10_000, n),
    }).write_csv(tmp_path / "accounts.csv")
    plan = write_plan(tmp_path, """
version = 1
name = "Shadows"
[data]
accounts = "accounts.csv"
[[fit.criteria]]
name = "The file's score is high"
points = 50
where = { fit_score = { min = 50 } }
[[fit.criteria]]
name = "Big"
points = 30
where = { employees = { min = 3000 } }
[[buckets]]
name = "SQL per the file"
where = { stage = { eq = "SQL" }, fit_score = { min = 50 } }
[[stages]]
name = "Good fit"
where = { fit_score = { min = 80 }, bucket = { ne = "SQL per the file" } }
[[stages]]
name = "Gold in the file"
where = { tier = { eq = "Gold" } }
[[tiers]]
name = "T1"
where = { stage = { eq = "Good fit" } }
limit = 20
[[tiers]]
name = "T2"
where = { tier = { eq = "Silver" }, fit_score = { min = 30 } }
""")
    session = Session.open(plan)
    texts = assert_same(session)
    assert labels(session, "tier") == {"T1", "T2", "Not target"}
    assert labels(session, "stage") == {"Good fit", "Gold in the file", "Unstaged"}
    assert '"_tier_1"' in texts["duckdb"]


@pytest.fixture()
def fortune_plan(tmp_path: Path) -> Path:
    """The Fortune 1000 as accounts, with engagement generated for its company names (and some noise:
    unknown companies, blank channels and counts, dates after as_of)."""
    if not FORTUNE.exists():
        pytest.skip(f"{FORTUNE} is not there")
    companies = pl.read_csv(FORTUNE, infer_schema_length=10_000).get_column("company").to_list()
    rng = np.random.default_rng(5)
    n = 30_000
    ids = rng.choice(companies[:700] + ["Not In The List Inc"], n)
    channels = np.array(list(CHANNELS) + ["podcast_listen"])
    pl.DataFrame({
        "account_id": ids,
        "date": [AS_OF - dt.timedelta(days=int(d)) for d in rng.integers(-15, 400, n)],
        "channel": pl.Series(rng.choice(channels, n)).scatter(rng.integers(0, n, 100), None),
        "count": pl.Series(rng.integers(1, 5, n), dtype=pl.Int32).scatter(rng.integers(0, n, 500), None),
        "intent_theme": pl.Series(rng.choice(["Cloud cost", "AI governance", "Supply chain"], n))
        .scatter(rng.integers(0, n, n // 2), None),
        "persona": pl.Series(rng.choice(["CIO", "CFO", "VP Ops", "Procurement"], n))
        .scatter(rng.integers(0, n, n // 3), None),
    }).write_parquet(tmp_path / "engagement.parquet")
    return write_plan(tmp_path, f"""
version = 1
name = "Fortune 1000: enterprise ABM"
as_of = {AS_OF.isoformat()}
[data]
accounts = "{FORTUNE}"
engagement = "engagement.parquet"
[data.columns]
account_id = "company"
name = "company"
industry = "sector"
employees = "num. of employees"
annual_revenue = "revenue"
[engagement.weights]
ad_impression = 0.5
pricing_page_visit = 8
demo_request = 20
[[fit.criteria]]
name = "Tech or financials"
points = 30
where = {{ industry = {{ in = ["Technology", "Financials"] }} }}
[[fit.criteria]]
name = "Enterprise headcount"
points = 25
where = {{ employees = {{ min = 10000 }} }}
[[fit.criteria]]
name = "Revenue over $20B"
points = 20
where = {{ annual_revenue = {{ gt = 20000 }} }}
[[fit.criteria]]
name = "Profitable"
points = 10
where = {{ profitable = {{ eq = "yes" }} }}
[[fit.criteria]]
name = "Market cap over $50B"
points = 15
where = {{ "Market Cap" = {{ min = 50000 }} }}
[[fit.criteria]]
name = "West coast"
points = 5
where = {{ state = {{ in = ["CA", "WA", "OR"] }} }}
[[fit.criteria]]
name = "Established"
points = 5
where = {{ not = {{ newcomer = {{ eq = "yes" }} }}, name = {{ contains = "'" }} }}
[[buckets]]
name = "Surging"
where = {{ engagement_recent = {{ min = 40 }} }}
[[buckets]]
name = "Active"
where = {{ engagement_window = {{ min = 10 }} }}
[[buckets]]
name = "Dark"
where = {{ days_since_engaged = {{ is_null = true }} }}
[[stages]]
name = "Researching AI"
where = {{ intent_themes = {{ contains = "AI governance" }}, personas_engaged = {{ contains = "CIO" }} }}
[[stages]]
name = "Evaluating"
where = {{ any = [{{ pricing_page_visit_window = {{ min = 1 }} }}, {{ demo_request_window = {{ min = 1 }} }}] }}
[[stages]]
name = "Aware"
where = {{ ad_impression_window = {{ min = 3 }}, podcast_listen_total = {{ min = 1 }} }}
[[stages]]
name = "Identified"
[[tiers]]
name = "Strategic"
motion = "1:1"
where = {{ fit_score = {{ min = 70 }} }}
limit = 25
[[tiers]]
name = "Named"
motion = "1:few"
where = {{ fit_score = {{ min = 50 }} }}
limit = 100
[[tiers]]
name = "Programmatic"
motion = "1:many"
where = {{ sql = "fit_score >= 30 AND \\"num. of employees\\" > 5000" }}
[[plays]]
tier = "Strategic"
campaign = "exec briefings"
[[plays]]
tier = ["Named", "Programmatic"]
stage = ["Evaluating", "Researching AI"]
campaign = "case studies"
[[plays]]
bucket = "Surging"
campaign = "SDR follow-up"
""")


def test_fortune_1000_with_generated_engagement(fortune_plan: Path) -> None:
    session = Session.open(fortune_plan)
    assert session.assignment().size == 1000
    raw = pl.read_parquet(fortune_plan.parent / "engagement.parquet")
    assert raw.get_column("count").null_count() and raw.get_column("channel").null_count()
    assert_same(session, events=raw)  # the raw file: the SQL drops and fills what the loader would
    assert_same(session)
    assert labels(session, "tier") == {"Strategic", "Named", "Programmatic", "Not target"}
    assert sum(session.assignment().cut_by_limit) > 0
    assert labels(session, "stage") >= {"Researching AI", "Evaluating", "Aware", "Identified"}


def test_table_names_can_be_schema_qualified_and_are_quoted(demo: Session) -> None:
    con = duckdb.connect()
    con.register("accounts_frame", demo.workspace.dataset.accounts.to_arrow())
    events = load_events(demo.plan.resolve(demo.plan.data.engagement)).frame.filter(usable())
    con.register("events_frame", events.to_arrow())
    con.execute('CREATE SCHEMA crm; CREATE SCHEMA "web data"')
    con.execute("CREATE TABLE crm.accounts AS SELECT * FROM accounts_frame")
    con.execute('CREATE TABLE "web data"."events ""raw""" AS SELECT * FROM events_frame')
    text = sql_for(demo, accounts_table="crm.accounts", events_table='web data.events "raw"')
    assert 'FROM "crm"."accounts" AS a' in text
    assert 'FROM "web data"."events ""raw"""' in text
    got = run(con, text).with_columns(pl.col("fit_score").cast(pl.Int64))
    assert got.equals(engine_answer(demo))


def test_mistakes_are_named(demo: Session) -> None:
    with pytest.raises(AbmError, match="unknown SQL dialect 'oracle'; expected one of duckdb, postgres, snowflake"):
        sql_for(demo, "oracle")
    with pytest.raises(AbmError, match=r"accounts_table 'crm\.': expected a table name"):
        sql_for(demo, accounts_table="crm.")
    workspace = demo.workspace
    plan = demo.plan
    schema = workspace.dataset.accounts.drop("industry").schema
    with pytest.raises(PlanError, match=r"fit\.criteria\[0\]\.where\.industry\.in: unknown column 'industry'"):
        plan_sql(plan, schema, workspace.channels, workspace.as_of)
    with pytest.raises(PlanError, match="comes from engagement data"):
        plan_sql(plan, workspace.dataset.accounts.schema, None, workspace.as_of)


# --- a real PostgreSQL ----------------------------------------------------------------------


def test_the_demo_plan_on_a_real_postgres_assigns_every_account_as_the_engine_does(
        demo: Session, postgres: str) -> None:  # noqa: F811
    """The Postgres text on the server itself: integer division, COLLATE "C", arrays and dates as Postgres has them."""
    plan = demo.plan
    events = load_events(plan.resolve(plan.data.engagement)).frame.filter(usable()) if plan.data.engagement else None
    with psycopg.connect(postgres) as connection:
        load_table(connection, "accounts", demo.workspace.dataset.accounts)
        if events is not None:
            load_table(connection, "events", events)
        got = query(connection, sql_for(demo, "postgres")).sort("account_id")
    want = engine_answer(demo)
    assert tuple(got.columns) == OUTPUT_COLUMNS
    assert got["account_id"].to_list() == want["account_id"].to_list()
    joined = want.join(got, on="account_id", suffix="_sql")
    for column in OUTPUT_COLUMNS[1:]:
        differ = joined.filter(pl.col(column) != pl.col(f"{column}_sql"))
        assert differ.height == 0, f"{differ.height} accounts differ in {column}:\n{differ.head(5)}"
