"""The demo generator: deterministic, well-typed, consistent between files, and shaped like real ABM data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from abm_tui.onboarding.demo import DEMO_AS_OF, DemoSet, generate, write_demo_files

CHANNELS = {
    "ad_impression", "ad_click", "ad_engagement", "website_visit", "pricing_page_visit", "demo_request",
    "webinar", "email_open", "email_click", "content_download", "form_fill",
}
THEMES = {
    "LinkedIn ROI attribution", "Pipeline influence", "CRM sync", "Account scoring", "Intent-led outreach",
    "Competitor comparison", "Agency reporting",
}
PERSONAS = {"CMO / VP Marketing", "Demand Gen", "RevOps", "BDR / SDR Leader", "Sales Leadership", "Agency"}
CRM_STAGES = {"none", "open_opportunity", "closed_won", "closed_lost", "churned", "customer"}
DEAL_STAGES = ["open_opportunity", "closed_won", "closed_lost"]
ACCOUNT_SCHEMA = {
    "account_id": pl.String, "name": pl.String, "domain": pl.String, "industry": pl.String,
    "employees": pl.Int64, "annual_revenue": pl.Int64, "country": pl.String, "region": pl.String,
    "funding_stage": pl.String, "tech_stack": pl.List(pl.String), "crm_stage": pl.String,
    "opportunity_amount": pl.Float64, "owner": pl.String,
}
EVENT_SCHEMA = {
    "account_id": pl.String, "date": pl.Date, "channel": pl.String, "campaign": pl.String,
    "intent_theme": pl.String, "persona": pl.String, "count": pl.Int32,
}


@pytest.fixture(scope="module")
def demo() -> DemoSet:
    return generate(3_000)


@pytest.fixture(scope="module")
def per_account(demo: DemoSet) -> pl.DataFrame:
    """Each account with its event rows, first and last date (accounts without events included)."""
    summary = demo.events.group_by("account_id").agg(
        pl.len().alias("rows"), pl.col("date").min().alias("first"), pl.col("date").max().alias("last")
    )
    joined = demo.accounts.join(summary, on="account_id", how="left")
    return joined.with_columns(pl.col("rows").fill_null(0))


def days_before(days: int, as_of: dt.date = DEMO_AS_OF) -> dt.date:
    return as_of - dt.timedelta(days=days)


def test_same_seed_gives_identical_frames() -> None:
    first, second = generate(400, seed=11), generate(400, seed=11)
    assert first.accounts.equals(second.accounts)
    assert first.events.equals(second.events)


def test_different_seed_gives_different_frames() -> None:
    first, second = generate(400, seed=11), generate(400, seed=12)
    assert not first.accounts.equals(second.accounts)
    assert not first.events.equals(second.events)


def test_accounts_do_not_depend_on_the_number_of_events() -> None:
    assert generate(400, events=50).accounts.equals(generate(400).accounts)


def test_row_counts(demo: DemoSet) -> None:
    assert demo.accounts.height == 3_000
    assert demo.events.height == 20 * 3_000
    assert generate(250, events=1_234).events.height == 1_234
    assert generate(250, events=0).events.height == 0


def test_a_single_account_still_gets_all_requested_events() -> None:
    one = generate(1, events=20)
    assert one.accounts.get_column("account_id").to_list() == ["A000001"]
    assert one.events.height == 20
    assert set(one.events.get_column("account_id")) == {"A000001"}


def test_schemas(demo: DemoSet) -> None:
    assert demo.accounts.schema == pl.Schema(ACCOUNT_SCHEMA)
    assert demo.events.schema == pl.Schema(EVENT_SCHEMA)


def test_ids_and_domains_are_unique_and_well_formed(demo: DemoSet) -> None:
    accounts = demo.accounts
    assert accounts.get_column("account_id").is_unique().all()
    assert accounts.get_column("account_id").str.contains(r"^A\d{6}$").all()
    assert accounts.get_column("domain").is_unique().all()
    assert accounts.get_column("domain").str.contains(r"^[a-z]+\d*\.[a-z.]+$").all()
    assert accounts.get_column("name").n_unique() > 0.95 * accounts.height


def test_account_values_are_plausible(demo: DemoSet) -> None:
    accounts = demo.accounts
    assert accounts.get_column("employees").min() >= 1
    assert accounts.get_column("employees").max() <= 200_000
    assert 0.01 < accounts.get_column("annual_revenue").null_count() / accounts.height < 0.06
    assert set(accounts.get_column("region")) == {"North America", "EMEA", "APAC", "LATAM"}
    assert accounts.get_column("industry").value_counts(sort=True).row(0)[0] == "Software"
    assert accounts.get_column("tech_stack").list.len().max() <= 6
    assert set(accounts.get_column("crm_stage")) <= CRM_STAGES


def test_every_event_names_a_known_account(demo: DemoSet) -> None:
    orphans = demo.events.join(demo.accounts, on="account_id", how="anti")
    assert orphans.height == 0


def test_dates_fall_in_the_180_days_ending_at_as_of() -> None:
    as_of = dt.date(2025, 3, 31)
    dates = generate(500, seed=5, as_of=as_of).events.get_column("date")
    assert dates.max() <= as_of
    assert dates.min() > days_before(180, as_of)


def test_dates_default_to_demo_as_of(demo: DemoSet) -> None:
    dates = demo.events.get_column("date")
    assert dates.max() == DEMO_AS_OF
    assert dates.min() > days_before(180)


def test_event_values_come_from_the_known_lists(demo: DemoSet) -> None:
    events = demo.events
    assert set(events.get_column("channel")) <= CHANNELS
    assert set(events.get_column("intent_theme").drop_nulls()) <= THEMES
    assert set(events.get_column("persona").drop_nulls()) <= PERSONAS
    assert events.get_column("count").min() >= 1
    web = events.filter(pl.col("channel").is_in(["website_visit", "pricing_page_visit"]))
    assert web.get_column("campaign").unique().to_list() == ["Website"]
    assert web.get_column("intent_theme").null_count() > 0.7 * web.height


def test_channel_mix_is_impression_heavy(demo: DemoSet) -> None:
    share = demo.events.get_column("channel").value_counts(normalize=True, name="share")
    shares = dict(share.iter_rows())
    assert 0.38 < shares["ad_impression"] < 0.52
    assert shares["demo_request"] < shares["pricing_page_visit"] < shares["website_visit"]


def test_most_accounts_are_silent(per_account: pl.DataFrame) -> None:
    silent = per_account.filter(pl.col("rows") == 0).height
    assert silent > 0.5 * per_account.height


def test_some_accounts_spike_only_in_the_last_three_weeks(per_account: pl.DataFrame) -> None:
    spiking = per_account.filter((pl.col("first") > days_before(21)) & (pl.col("rows") >= 30))
    assert spiking.height >= 10


def test_some_accounts_went_quiet(per_account: pl.DataFrame) -> None:
    stalled = per_account.filter((pl.col("rows") > 0) & (pl.col("last") <= days_before(30)))
    assert stalled.height >= 0.03 * per_account.height


def test_recent_bursts_carry_the_buying_signals(demo: DemoSet, per_account: pl.DataFrame) -> None:
    bursts = per_account.filter(pl.col("first") > days_before(21)).select("account_id")
    in_burst = demo.events.join(bursts, on="account_id", how="semi")
    rest = demo.events.join(bursts, on="account_id", how="anti")

    def intent_share(events: pl.DataFrame) -> float:
        return events.get_column("channel").is_in(["pricing_page_visit", "demo_request"]).mean()

    assert intent_share(in_burst) > 2 * intent_share(rest)


def test_engaged_accounts_have_a_favourite_theme(demo: DemoSet) -> None:
    themed = demo.events.drop_nulls("intent_theme")
    per_theme = themed.group_by("account_id", "intent_theme").len()
    top_share = per_theme.group_by("account_id").agg(
        (pl.col("len").max() / pl.col("len").sum()).alias("top"), pl.col("len").sum().alias("rows")
    )
    assert top_share.filter(pl.col("rows") >= 30).get_column("top").median() > 0.4


def test_crm_stage_proportions() -> None:
    accounts = generate(20_000, events=20_000).accounts
    shares = dict(accounts.get_column("crm_stage").value_counts(normalize=True, name="share").iter_rows())
    expected = {"none": 0.80, "open_opportunity": 0.06, "closed_won": 0.02, "closed_lost": 0.04,
                "churned": 0.02, "customer": 0.06}
    for stage, share in expected.items():
        assert shares[stage] == pytest.approx(share, abs=max(0.2 * share, 0.01)), stage


def test_opportunity_amount_only_for_deals(demo: DemoSet) -> None:
    has_amount = demo.accounts.select(
        (pl.col("opportunity_amount").is_not_null() == pl.col("crm_stage").is_in(DEAL_STAGES)).all()
    )
    assert has_amount.item()
    assert demo.accounts.get_column("opportunity_amount").min() > 0


def test_engaged_accounts_are_more_often_in_pipeline(per_account: pl.DataFrame) -> None:
    pipeline = pl.col("crm_stage").is_in(["open_opportunity", "closed_won"])
    busy = per_account.filter(pl.col("rows") >= 40).select(pipeline.mean()).item()
    silent = per_account.filter(pl.col("rows") == 0).select(pipeline.mean()).item()
    assert busy > 2 * silent


def test_write_demo_files_round_trip(tmp_path: Path) -> None:
    demo = generate(300, seed=3)
    out_dir = tmp_path / "new" / "folder"
    accounts_path, events_path = write_demo_files(demo, out_dir)

    assert (accounts_path, events_path) == (out_dir / "accounts.csv", out_dir / "engagement.parquet")
    assert sorted(p.name for p in out_dir.iterdir()) == ["accounts.csv", "engagement.parquet"]
    overrides = {**ACCOUNT_SCHEMA, "tech_stack": pl.String}
    csv = pl.read_csv(accounts_path, schema_overrides=overrides)
    assert csv.columns == list(ACCOUNT_SCHEMA)
    tools = pl.col("tech_stack").fill_null("").str.split(";")
    stack = tools.list.eval(pl.element().filter(pl.element() != ""))
    assert csv.with_columns(stack).equals(demo.accounts)
    assert pl.read_parquet(events_path).equals(demo.events)


def test_csv_lists_tools_with_semicolons(tmp_path: Path) -> None:
    demo = generate(300, seed=3)
    accounts_path, _ = write_demo_files(demo, tmp_path)
    header, *lines = accounts_path.read_text(encoding="utf-8").splitlines()
    assert header.startswith("account_id,name,domain,")
    stacks = demo.accounts.get_column("tech_stack").list.join(";").to_list()
    assert any(";" in s for s in stacks)
    assert all(s in line for s, line in zip(stacks, lines, strict=True))


@pytest.mark.parametrize("accounts", [0, -5])
def test_no_accounts_is_an_error(accounts: int) -> None:
    with pytest.raises(ValueError, match="accounts must be at least 1"):
        generate(accounts)


def test_negative_events_is_an_error() -> None:
    with pytest.raises(ValueError, match="events must be 0 or more"):
        generate(10, events=-1)
