"""starter_plan: the framework fitted to a planner's own files, on the demo set and on real public company lists."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from abm_tui.engine import features
from abm_tui.engine.segment import Engine
from abm_tui.ingest.load import load_accounts
from abm_tui.onboarding.starter import _TIERS, Starter, starter_plan
from abm_tui.plan.dump import dumps_plan, save_plan
from abm_tui.plan.model import Compare, DataSource, Plan
from abm_tui.plan.parse import load_plan, loads_plan
from abm_tui.plan.validate import check_plan
from abm_tui.session import Workspace, build_workspace, load_dataset

# The mapping a planner would write in [data.columns] for each public file (canonical name = header).
REAL_MAPPINGS = {
    "Fortune_1000.csv": {"account_id": "company", "name": "company", "industry": "sector",
                         "employees": "num. of employees", "annual_revenue": "revenue"},
    "constituents.csv": {"account_id": "Symbol", "name": "Security", "industry": "GICS Sector"},
    "crunchbase-companies.csv": {"account_id": "permalink", "name": "name", "industry": "category_code",
                                 "country": "country_code", "annual_revenue": "funding_total_usd"},
    "Forbes2000.csv": {"account_id": "rownames", "name": "name", "industry": "category", "country": "country",
                       "annual_revenue": "sales"},
    "constituents-financials.csv": {"account_id": "Symbol", "name": "Name", "industry": "Sector"},
}
FIT_COLUMNS = {"Core industry": "industry", "Company size": "employees", "Revenue": "annual_revenue",
               "Home market": "country", "Existing tech": "tech_stack"}


# --- helpers --------------------------------------------------------------------------------------


def _workspace(plan: Plan) -> Workspace:
    return build_workspace(load_dataset(plan), plan)


def _engine(table: pl.DataFrame, channels: tuple[str, ...] | None) -> Engine:
    return Engine(table, channels)


def _tier_sizes(engine: Engine, plan: Plan) -> list[int]:
    assignment = engine.assign(plan)
    return np.bincount(assignment.tier, minlength=len(assignment.tier_labels)).tolist()[: len(plan.tiers)]


def _fit_min(plan: Plan, tier: int) -> int:
    return next(c.value for c in plan.tiers[tier].where.items if isinstance(c, Compare) and c.column == "fit_score")


def _assert_sound(starter: Starter, table: pl.DataFrame, channels: tuple[str, ...] | None, tmp_path: Path) -> None:
    """What every starter plan must be, whatever the data: valid, readable back, sized as the guidance says."""
    plan = starter.plan
    engine = _engine(table, channels)
    missing = set() if channels else set(features.feature_names(features.CHANNELS))
    assert check_plan(plan, engine.frame(plan).schema, missing) == []
    assert sum(c.points for c in plan.criteria) == 100
    assert [t.name for t in plan.tiers] == ["Tier 1", "Tier 2", "Tier 3"]
    assert [t.motion for t in plan.tiers] == ["1:1", "1:few", "1:many"]
    sizes = _tier_sizes(engine, plan)
    on = [size for size, tier in zip(sizes, plan.tiers, strict=True) if tier.enabled]
    assert on and on[0] > 0 and on == sorted(on), sizes  # a tier left off (nothing ranks its tie) holds none
    assert all(size == 0 for size, tier in zip(sizes, plan.tiers, strict=True) if not tier.enabled)
    assert plan.tiers[-1].enabled and sizes[0] <= 50 and sizes[1] <= 300 and sizes[2] <= 1000
    for tier, (*_, cap) in zip(plan.tiers, _TIERS, strict=True):
        assert tier.limit in (None, cap), "a limit is the seeds' size for the motion, nothing else"
    scores = set(engine.fit(plan)[0].tolist())
    for i, tier in enumerate(plan.tiers):
        threshold = _fit_min(plan, i)
        assert threshold in scores, f"{tier.name}: fit_score min {threshold} is no account's score"
        assert any(f.startswith(f"{tier.name} (") and f"fit_score ≥ {threshold}" in f
                   and f.endswith(f": {sizes[i]:,} accounts") for f in starter.findings), (tier.name, starter.findings)
    for criterion in plan.criteria:
        assert any(f.startswith(f"{criterion.name}, {criterion.points} points: ") for f in starter.findings)
    assert plan.stages[-1].name == "Identified" and not plan.stages[-1].where.items
    assert [p.tier for p in plan.plays] == [(t.name,) for t in plan.tiers]
    assert all(p.campaign and p.cta and p.sales_action for p in plan.plays)
    # The plan round-trips as text and as a file, and gives the same assignments read back.
    assert loads_plan(dumps_plan(plan)) == plan
    reread = load_plan(save_plan(plan, tmp_path / "plan.toml"))
    assert reread == plan
    assert np.array_equal(_engine(table, channels).assign(reread).tier, engine.assign(plan).tier)


def _accounts_csv(path: Path, frame: pl.DataFrame) -> pl.DataFrame:
    """Write a real accounts file and read it back the way the workbench does."""
    frame.write_csv(path)
    return load_accounts(path).frame


# --- the demo -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_workspaces(demo_plan_path: Path) -> dict[str, Workspace]:
    plan = load_plan(demo_plan_path)
    return {"with events": _workspace(plan), "accounts only": _workspace(replace(plan, data=replace(plan.data,
                                                                                                   engagement=None)))}


def test_demo_with_engagement(demo_workspaces: dict[str, Workspace], demo_plan_path: Path, tmp_path: Path) -> None:
    ws = demo_workspaces["with events"]
    data = load_plan(demo_plan_path).data
    starter = starter_plan(ws.table, ws.channels, data, "FY27 Q1", ws.as_of)
    plan = starter.plan
    _assert_sound(starter, ws.table, ws.channels, tmp_path)
    assert plan.data is data and plan.name == "FY27 Q1" and plan.as_of == ws.as_of
    assert [c.name for c in plan.criteria] == list(FIT_COLUMNS)  # the demo has every column a criterion reads
    assert [s.name for s in plan.stages] == [
        "Closed Won", "Closed Lost", "Selecting", "Considering", "Interested", "Aware", "Identified"]
    assert [b.name for b in plan.buckets] == ["Spiking", "Highly engaged", "Stalled", "No engagement"]
    # Tier 1 is high fit and high intent: its engagement cut is the 75th percentile among engaged accounts.
    recent = _engine(ws.table, ws.channels).frame(plan).get_column("engagement_recent")
    p75 = recent.filter(recent > 0).quantile(0.75, "nearest")
    intent = next(c for c in plan.tiers[0].where.items if c.column == "engagement_recent")
    assert intent.op == "min" and intent.value == pytest.approx(p75, rel=0.05)
    assert plan.tiers[0].limit is None, "Tier 1 holds under 50 accounts: no limit to puzzle over"
    highly = plan.buckets[1].where.items[0]
    window = _engine(ws.table, ws.channels).frame(plan).get_column("engagement_window")
    assert highly.value == pytest.approx(window.filter(window > 0).quantile(0.75, "nearest"), rel=0.05)
    for name in ("Spiking", "Highly engaged", "Stalled", "No engagement", "Considering", "Interested", "Aware"):
        assert any(f.startswith(f"{name}: ") for f in starter.findings), name
    assert any(f.startswith("Buckets: Spiking ") for f in starter.findings)
    assert starter_plan(ws.table, ws.channels, data, "FY27 Q1", ws.as_of) == starter  # deterministic


def test_demo_without_engagement(demo_workspaces: dict[str, Workspace], tmp_path: Path) -> None:
    ws = demo_workspaces["accounts only"]
    data = DataSource("accounts.csv")
    starter = starter_plan(ws.table, None, data, "No events")
    plan = starter.plan
    _assert_sound(starter, ws.table, None, tmp_path)
    assert plan.buckets == ()
    assert [s.name for s in plan.stages] == ["Closed Won", "Closed Lost", "Selecting", "Identified"]
    engagement = set(features.feature_names(features.CHANNELS))
    assert not any(c.column in engagement for t in plan.tiers for c in t.where.items if isinstance(c, Compare))
    assert "no engagement file: no buckets" in starter.findings
    assert any(f.startswith("no engagement file: no Considering") for f in starter.findings)
    assert starter_plan(ws.table, None, data, "No events") == starter


def test_demo_criteria_follow_the_rules_of_thumb(demo_workspaces: dict[str, Workspace]) -> None:
    table = demo_workspaces["accounts only"].table
    criteria = {c.name: c.where.items[0] for c in starter_plan(table, None, DataSource(), "x").plan.criteria}
    industries = table["industry"].value_counts(sort=True)
    share = industries.filter(pl.col("industry").is_in(list(criteria["Core industry"].value)))["count"].sum()
    assert len(criteria["Core industry"].value) <= 5 and share >= 0.5 * table.height
    assert criteria["Company size"].value == table["employees"].quantile(0.5, "nearest")
    revenue = table["annual_revenue"].quantile(0.5, "nearest")
    assert criteria["Revenue"].value == float(f"{revenue:.2g}")
    assert (criteria["Home market"].column, criteria["Home market"].value) == ("country", "US")


# --- real public files ----------------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.parametrize("name", sorted(REAL_MAPPINGS))
def test_real_company_lists(name: str, tmp_path: Path, realdata: Path) -> None:
    path = realdata / name
    mapping = tuple(REAL_MAPPINGS[name].items())
    table = load_accounts(path, mapping).frame
    data = DataSource(str(path), None, "auto", mapping)
    starter = starter_plan(table, None, data, name)
    _assert_sound(starter, table, None, tmp_path)
    assert starter.plan.data == data
    built = {FIT_COLUMNS[c.name] for c in starter.plan.criteria}
    assert built <= set(REAL_MAPPINGS[name])  # a criterion only from a column the file has
    for name_, column in FIT_COLUMNS.items():
        if column not in table.columns:
            assert f"no {name_.lower()} criterion: no {column} column" in starter.findings
    assert starter_plan(table, None, data, name) == starter


@pytest.mark.realdata
def test_a_one_country_list_gets_no_home_market(realdata: Path) -> None:
    """crunchbase's export is US-only: a criterion every account meets would separate nothing."""
    path = realdata / "crunchbase-companies.csv"
    table = load_accounts(path, tuple(REAL_MAPPINGS[path.name].items())).frame
    starter = starter_plan(table, None, DataSource(), "crunchbase")
    assert "Home market" not in [c.name for c in starter.plan.criteria]
    assert any(f.startswith("no home market criterion: country = USA holds for every account") for f in
               starter.findings)


# --- rules of thumb on small files ----------------------------------------------------------------


def test_core_industries_stop_at_about_half_and_revenue_rounds(tmp_path: Path) -> None:
    industries = ["Fintech"] * 30 + ["Retail"] * 15 + ["Energy"] * 10 + ["Media"] * 10 + [f"N{i}" for i in range(35)]
    # As a CRM exports money ("$12,345,678"); the median (both middle values) is 12,345,678.
    revenue = [f"${v:,}" for v in [1_000_000 + 1000 * i for i in range(49)] + [12_345_678] * 2 + [90_000_000] * 49]
    table = _accounts_csv(tmp_path / "accounts.csv", pl.DataFrame({
        "account_id": [f"A{i:03}" for i in range(100)], "name": [f"Acme {i}" for i in range(100)],
        "industry": industries, "annual_revenue": revenue,
        "country": ["DE"] * 25 + ["FR"] * 24 + ["IT"] * 51,
    }))
    starter = starter_plan(table, None, DataSource(), "small")
    criteria = {c.name: c.where.items[0] for c in starter.plan.criteria}
    assert criteria["Core industry"].value == ("Fintech", "Retail", "Energy")  # 55%: the first three reach half
    assert any(f.startswith("Core industry, 46 points: industry in [Fintech, Retail, Energy]: the 3 most common of 39 ")
               for f in starter.findings)
    assert criteria["Revenue"].value == 12_000_000
    assert criteria["Home market"].value == "IT"
    assert [c.points for c in starter.plan.criteria] == [46, 31, 23]  # 30:20:15 scaled to 100
    assert any("55% of accounts" in f for f in starter.findings)


def test_no_home_market_when_no_country_dominates(tmp_path: Path) -> None:
    table = _accounts_csv(tmp_path / "accounts.csv", pl.DataFrame({
        "account_id": [f"A{i}" for i in range(40)], "industry": ["Fintech", "Retail"] * 20,
        "country": ["DE", "FR", "IT", "ES"] * 10,
    }))
    starter = starter_plan(table, None, DataSource(), "spread")
    assert [c.name for c in starter.plan.criteria] == ["Core industry"]
    assert any(f.startswith("no home market criterion: the most common country, DE, holds only 25%")
               for f in starter.findings)


def test_unread_crm_stages_are_reported(tmp_path: Path) -> None:
    stages = ["closed_won", "open_opportunity", "Prospect", "none", "Prospect"] * 8
    table = _accounts_csv(tmp_path / "accounts.csv", pl.DataFrame({
        "account_id": [f"A{i}" for i in range(40)], "industry": ["Fintech", "Retail"] * 20, "crm_stage": stages,
    }))
    starter = starter_plan(table, None, DataSource(), "crm")
    assert [s.name for s in starter.plan.stages] == ["Closed Won", "Closed Lost", "Selecting", "Identified"]
    assert any(f.startswith("crm_stage values no stage reads: Prospect (16)") for f in starter.findings)
    assert "Stages: Closed Won 8, Closed Lost 0, Selecting 8, Identified 24" in starter.findings


def test_one_off_values_are_never_core(tmp_path: Path) -> None:
    """A long tail of industries held by one account each must not be picked by alphabetical accident."""
    table = _accounts_csv(tmp_path / "accounts.csv", pl.DataFrame({
        "account_id": [f"A{i}" for i in range(100)], "industry": ["Fintech"] * 20 + [f"Other {i}" for i in range(80)],
    }))
    starter = starter_plan(table, None, DataSource(), "tail")
    assert starter.plan.criteria[0].where.items[0].value == ("Fintech",)


def test_tier_1_reaches_down_to_engaged_accounts(tmp_path: Path) -> None:
    """The best-fit accounts are silent and some good-fit ones are busy: Tier 1 (fit and intent) must not
    stay empty, so its fit cut steps down to the next achievable score, and says so."""
    n = 200
    industry = ["Fintech"] * 50 + [f"Other {i}" for i in range(150)]
    # Fintech and big: 100 points; Fintech and small: 55; big only: 45 (the median headcount is about 3,010).
    employees = ([5000 + i for i in range(20)] + [10 + i for i in range(30)] + [5000 + i for i in range(30)]
                 + [100 + i for i in range(60)] + [3000 + i for i in range(60)])
    accounts = pl.DataFrame({"account_id": [f"A{i:03}" for i in range(n)], "industry": industry,
                             "employees": employees})
    accounts.write_csv(tmp_path / "accounts.csv")
    as_of = dt.date(2026, 11, 20)
    busy = [f"A{i:03}" for i in range(20, 50)]  # the score-55 accounts, each a different amount
    events = pl.DataFrame({
        "account_id": [a for i, a in enumerate(busy) for _ in range(i + 1)],
        "date": [as_of - dt.timedelta(days=3)] * sum(range(1, len(busy) + 1)),
        "channel": ["website_visit"] * sum(range(1, len(busy) + 1)),
    })
    events.write_csv(tmp_path / "events.csv")
    plan = Plan(as_of=as_of, data=DataSource("accounts.csv", "events.csv"), base_dir=tmp_path)
    ws = _workspace(plan)
    starter = starter_plan(ws.table, ws.channels, plan.data, "reach", as_of)
    _assert_sound(starter, ws.table, ws.channels, tmp_path)
    assert _fit_min(starter.plan, 0) == 55 and _fit_min(starter.plan, 1) == 100
    assert any(f.startswith("Tier 1 (1:1): fit_score ≥ 55, lowered from 100") for f in starter.findings)
    tier_1 = np.flatnonzero(_engine(ws.table, ws.channels).assign(starter.plan).tier == 0)
    assert set(ws.table["account_id"].gather(tier_1).to_list()) <= set(busy)


def test_a_file_with_nothing_to_score_says_so(tmp_path: Path) -> None:
    table = _accounts_csv(tmp_path / "accounts.csv", pl.DataFrame({"account_id": ["A", "B"], "name": ["a", "b"]}))
    starter = starter_plan(table, None, DataSource(), "bare")
    assert starter.plan.criteria == ()
    assert check_plan(starter.plan, table.schema, set(features.feature_names(features.CHANNELS))) == []
    assert loads_plan(dumps_plan(starter.plan)) == starter.plan
    assert any(f.startswith("no fit criteria could be built") for f in starter.findings)
    assert _tier_sizes(_engine(table, None), starter.plan) == [0, 0, 0]
