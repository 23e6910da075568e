"""Engagement features: exact window boundaries, totals, weights, recency, themes and personas.

Every table here is built the way the session builds it: the accounts and events written as files, read and
matched by `load_dataset`, featured by `build_workspace` (row codes and `hstack`), so a regression in the code the
app runs cannot hide behind a test-only path.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import polars as pl
import pytest

from abm_tui.engine import features
from abm_tui.engine.features import CHANNELS, feature_names, resolve_as_of, weighted_scores
from abm_tui.plan.model import DataSource, EngagementSettings, Plan
from abm_tui.session import Workspace, build_workspace, load_dataset

AS_OF = dt.date(2026, 11, 20)
RECENT, WINDOW = 30, 90

EVENT_SCHEMA = {
    "account_id": pl.String,
    "date": pl.Date,
    "channel": pl.String,
    "campaign": pl.String,
    "intent_theme": pl.String,
    "persona": pl.String,
    "count": pl.Float64,
}


def days_before(n: int) -> dt.date:
    return AS_OF - dt.timedelta(days=n)


def events(*rows: dict) -> pl.DataFrame:
    """Event rows as load_events returns them; omitted fields are null, count defaults to 1."""
    full = [{"campaign": None, "intent_theme": None, "persona": None, "count": 1.0, **row} for row in rows]
    return pl.DataFrame(full, schema=EVENT_SCHEMA)


def featured(
    folder: Path, ev: pl.DataFrame, accounts: pl.DataFrame | list[str] | None = None, *, recent: int = RECENT,
    window: int = WINDOW, as_of: dt.date = AS_OF, half_lives: tuple[tuple[str, float], ...] = (),
) -> Workspace:
    """The session's feature table for these events: `accounts` (default: the events' ids in order) and `ev`
    written as Parquet files in a fresh folder under `folder`, loaded and featured as `Session.open` does."""
    here = Path(tempfile.mkdtemp(dir=folder))
    if not isinstance(accounts, pl.DataFrame):
        ids = accounts if accounts is not None else list(dict.fromkeys(ev.get_column("account_id").drop_nulls()))
        accounts = pl.DataFrame({"account_id": ids}, schema={"account_id": pl.String})
    accounts.write_parquet(here / "accounts.parquet")
    ev.write_parquet(here / "events.parquet")
    plan = Plan(
        name="features", as_of=as_of, data=DataSource("accounts.parquet", "events.parquet"), base_dir=here,
        engagement=EngagementSettings(recent, window, (), half_lives),
    )
    return build_workspace(load_dataset(plan), plan)


def table_of(folder: Path, ev: pl.DataFrame, accounts: pl.DataFrame | list[str] | None = None) -> pl.DataFrame:
    return featured(folder, ev, accounts).table


def row_of(frame: pl.DataFrame, account_id: str) -> dict:
    rows = frame.filter(pl.col("account_id") == account_id).to_dicts()
    assert len(rows) == 1, f"{account_id}: {len(rows)} rows"
    return rows[0]


# Counts are powers of two so that every sum says exactly which events it took.
BOUNDARY = events(
    {"account_id": "A", "date": AS_OF, "channel": "ad_click", "count": 1.0},
    {"account_id": "A", "date": days_before(RECENT - 1), "channel": "ad_click", "count": 2.0},
    {"account_id": "A", "date": days_before(RECENT), "channel": "ad_click", "count": 4.0},
    {"account_id": "A", "date": days_before(WINDOW - 1), "channel": "ad_click", "count": 8.0},
    {"account_id": "A", "date": days_before(WINDOW), "channel": "ad_click", "count": 16.0},
    {"account_id": "A", "date": AS_OF + dt.timedelta(days=1), "channel": "ad_click", "count": 32.0},
    {"account_id": "A", "date": days_before(400), "channel": "ad_click", "count": 64.0},
    {"account_id": "A", "date": AS_OF + dt.timedelta(days=100), "channel": "ad_click", "count": 128.0},
)


def test_recent_window_and_total_boundaries_are_exact(tmp_path: Path) -> None:
    row = row_of(table_of(tmp_path, BOUNDARY), "A")
    # recent: as_of - 30 < date <= as_of  -> as_of (1) and as_of - 29 (2); not as_of - 30 (4)
    assert row["ad_click_recent"] == 1 + 2
    # window: as_of - 90 < date <= as_of  -> 1 + 2 + 4 + 8; not as_of - 90 (16)
    assert row["ad_click_window"] == 1 + 2 + 4 + 8
    # total: everything up to as_of, never what comes after (32, 128)
    assert row["ad_click_total"] == 1 + 2 + 4 + 8 + 16 + 64


@pytest.mark.parametrize(("recent", "window"), [(1, 1), (7, 28), (30, 90), (90, 365)])
def test_boundaries_follow_the_settings(tmp_path: Path, recent: int, window: int) -> None:
    ev = events(
        {"account_id": "A", "date": days_before(recent - 1), "channel": "webinar", "count": 1.0},
        {"account_id": "A", "date": days_before(recent), "channel": "webinar", "count": 10.0},
        {"account_id": "A", "date": days_before(window - 1), "channel": "webinar", "count": 100.0},
        {"account_id": "A", "date": days_before(window), "channel": "webinar", "count": 1000.0},
        {"account_id": "A", "date": AS_OF + dt.timedelta(days=1), "channel": "webinar", "count": 10000.0},
    )
    row = row_of(featured(tmp_path, ev, recent=recent, window=window).table, "A")
    recent_expected = 1.0 + (100.0 if window - 1 < recent else 0.0)
    window_expected = sum(
        c
        for c, age in ((1.0, recent - 1), (10.0, recent), (100.0, window - 1), (1000.0, window))
        if age < window
    )
    assert row["webinar_recent"] == recent_expected
    assert row["webinar_window"] == window_expected
    assert row["webinar_total"] == 1111.0


def test_events_after_as_of_are_ignored_in_every_feature(tmp_path: Path) -> None:
    ev = events(
        {
            "account_id": "A",
            "date": days_before(5),
            "channel": "ad_impression",
            "count": 3.0,
            "intent_theme": "payroll",
            "persona": "CFO",
        },
        {
            "account_id": "A",
            "date": AS_OF + dt.timedelta(days=1),
            "channel": "demo_request",
            "count": 9.0,
            "intent_theme": "future",
            "persona": "CEO",
        },
        {
            "account_id": "B",
            "date": AS_OF + dt.timedelta(days=2),
            "channel": "demo_request",
            "count": 9.0,
            "intent_theme": "future",
            "persona": "CEO",
        },
    )
    workspace = featured(tmp_path, ev)
    assert workspace.report.events_after_as_of == 2
    a, b = row_of(workspace.table, "A"), row_of(workspace.table, "B")
    assert a["demo_request_recent"] == a["demo_request_window"] == a["demo_request_total"] == 0.0
    assert a["ad_impression_total"] == 3.0
    assert a["intent_themes"] == ["payroll"] and a["personas_engaged"] == ["CFO"]
    assert a["days_since_engaged"] is None  # only an impression up to as_of
    for period in features.PERIODS:
        assert b[f"demo_request_{period}"] == 0.0
    assert b["intent_themes"] == [] and b["personas_engaged"] == [] and b["days_since_engaged"] is None


def test_all_events_after_as_of_gives_zeros_not_an_error(tmp_path: Path) -> None:
    ev = events(
        {"account_id": "A", "date": AS_OF + dt.timedelta(days=3), "channel": "ad_click", "count": 5.0}
    )
    workspace = featured(tmp_path, ev)
    assert workspace.table.height == 1
    row = row_of(workspace.table, "A")
    assert workspace.channels is not None
    assert all(row[f"{c}_{p}"] == 0.0 for c in workspace.channels for p in features.PERIODS)
    assert row["intent_themes"] == [] and row["persona_count"] == 0 and row["days_since_engaged"] is None


def test_channel_totals_per_channel_and_account(tmp_path: Path) -> None:
    ev = events(
        {"account_id": "A", "date": days_before(1), "channel": "ad_click", "count": 2.0},
        {"account_id": "A", "date": days_before(1), "channel": "ad_click", "count": 3.0},
        {"account_id": "A", "date": days_before(40), "channel": "pricing_page_visit", "count": 1.0},
        {"account_id": "A", "date": days_before(200), "channel": "email_open", "count": 4.0},
        {"account_id": "B", "date": days_before(2), "channel": "ad_click", "count": 7.0},
    )
    table = table_of(tmp_path, ev)
    a, b = row_of(table, "A"), row_of(table, "B")
    assert (a["ad_click_recent"], a["ad_click_window"], a["ad_click_total"]) == (5.0, 5.0, 5.0)
    assert (
        a["pricing_page_visit_recent"],
        a["pricing_page_visit_window"],
        a["pricing_page_visit_total"],
    ) == (0.0, 1.0, 1.0)
    assert (a["email_open_recent"], a["email_open_window"], a["email_open_total"]) == (0.0, 0.0, 4.0)
    assert b["ad_click_total"] == 7.0
    # one row per account, a column per channel and period for every known channel
    assert table.height == 2
    for channel in CHANNELS:
        for period in features.PERIODS:
            assert f"{channel}_{period}" in table.columns


def test_weighted_scores_use_weights_and_one_where_unnamed(tmp_path: Path) -> None:
    ev = events(
        {"account_id": "A", "date": days_before(1), "channel": "ad_impression", "count": 100.0},
        {"account_id": "A", "date": days_before(1), "channel": "ad_click", "count": 2.0},
        {"account_id": "A", "date": days_before(50), "channel": "webinar", "count": 3.0},
        {"account_id": "A", "date": days_before(300), "channel": "demo_request", "count": 1.0},
        {"account_id": "A", "date": days_before(1), "channel": "podcast_listen", "count": 4.0},
    )
    workspace = featured(tmp_path, ev, ["A", "Z"])
    table, channels = workspace.table, workspace.channels
    assert channels is not None
    settings = EngagementSettings(
        RECENT, WINDOW, (("ad_impression", 0.1), ("ad_click", 3.0), ("demo_request", 25.0))
    )
    scores = weighted_scores(table, channels, settings)
    assert scores.columns == ["engagement_recent", "engagement_window", "engagement_total"]
    a, z = scores.row(0, named=True), scores.row(1, named=True)
    # recent: 100*0.1 + 2*3 + podcast 4*1
    assert a["engagement_recent"] == pytest.approx(10 + 6 + 4)
    # window adds the webinar (unnamed: weight 1)
    assert a["engagement_window"] == pytest.approx(10 + 6 + 4 + 3)
    # total adds the old demo request at 25
    assert a["engagement_total"] == pytest.approx(10 + 6 + 4 + 3 + 25)
    assert z == {"engagement_recent": 0.0, "engagement_window": 0.0, "engagement_total": 0.0}
    unweighted = weighted_scores(table, channels, EngagementSettings())
    assert unweighted.row(0, named=True)["engagement_total"] == pytest.approx(100 + 2 + 3 + 1 + 4)


def test_half_lives_add_decayed_sums_for_their_channels_only(tmp_path: Path) -> None:
    ev = events(
        {"account_id": "A", "date": days_before(3), "channel": "demo_request", "count": 2.0},
        {"account_id": "A", "date": days_before(45), "channel": "demo_request", "count": 1.0},
        {"account_id": "A", "date": days_before(1), "channel": "ad_click", "count": 4.0},
        # after as_of with a tiny half-life: 0.5 ** (-100 / 0.01) would overflow if it were ever computed
        {"account_id": "A", "date": AS_OF + dt.timedelta(days=100), "channel": "form_fill", "count": 1.0},
        {"account_id": "B", "date": days_before(0), "channel": "form_fill", "count": 1.0},
    )
    half_lives = (("demo_request", 7.0), ("form_fill", 0.01), ("podcast", 3.0))
    workspace = featured(tmp_path, ev, ["A", "B", "Z"], half_lives=half_lives)
    table, channels = workspace.table, workspace.channels
    assert channels is not None
    decayed = [f"{c}_{p}_decayed" for c in ("demo_request", "form_fill") for p in features.PERIODS]
    assert [c for c in table.columns if c.endswith("_decayed")] == decayed
    assert feature_names(channels, half_lives) == feature_names(channels)[: len(channels) * 3] + decayed + \
        feature_names(channels)[len(channels) * 3 :]
    a, b, z = row_of(table, "A"), row_of(table, "B"), row_of(table, "Z")
    assert a["demo_request_recent_decayed"] == 2 * 0.5 ** (3 / 7)
    assert a["demo_request_total_decayed"] == 2 * 0.5 ** (3 / 7) + 0.5 ** (45 / 7)
    assert a["demo_request_total"] == 3.0 and a["form_fill_total_decayed"] == 0.0
    assert b["form_fill_recent_decayed"] == 1.0, "age 0 is worth the whole count"
    assert all(z[c] == 0.0 for c in decayed), "no events: zeros, not nulls"
    # every event reaches the features, later ones included: they must not turn a sum into NaN
    assert not table.select(pl.col(decayed).is_nan().any()).to_numpy().any()
    settings = EngagementSettings(RECENT, WINDOW, (("demo_request", 25.0),), half_lives)
    scores = weighted_scores(table, channels, settings).row(0, named=True)
    assert scores["engagement_recent"] == 0.0 + 4.0 + 2 * 0.5 ** (3 / 7) * 25
    plain = table_of(tmp_path, ev, ["A", "B", "Z"])
    assert plain.columns == [c for c in table.columns if not c.endswith("_decayed")]


def test_days_since_engaged_ignores_ad_impressions_and_is_null_if_never(tmp_path: Path) -> None:
    ev = events(
        {"account_id": "A", "date": AS_OF, "channel": "ad_impression", "count": 50.0},
        {"account_id": "A", "date": days_before(10), "channel": "ad_click"},
        {"account_id": "A", "date": days_before(45), "channel": "website_visit"},
        {"account_id": "B", "date": days_before(3), "channel": "ad_impression", "count": 500.0},
        {"account_id": "C", "date": days_before(200), "channel": "webinar"},
        {"account_id": "D", "date": AS_OF, "channel": "demo_request"},
    )
    table = table_of(tmp_path, ev, ["A", "B", "C", "D", "E"])
    got = dict(zip(table.get_column("account_id"), table.get_column("days_since_engaged"), strict=True))
    assert got == {"A": 10, "B": None, "C": 200, "D": 0, "E": None}


def test_intent_themes_most_engaged_first_in_window_only(tmp_path: Path) -> None:
    ev = events(
        {
            "account_id": "A",
            "date": days_before(1),
            "channel": "website_visit",
            "intent_theme": "payroll",
            "count": 2.0,
        },
        {
            "account_id": "A",
            "date": days_before(60),
            "channel": "website_visit",
            "intent_theme": "payroll",
            "count": 2.0,
        },
        {
            "account_id": "A",
            "date": days_before(5),
            "channel": "content_download",
            "intent_theme": "compliance",
            "count": 5.0,
        },
        {
            "account_id": "A",
            "date": days_before(5),
            "channel": "ad_click",
            "intent_theme": "ai",
            "count": 1.0,
        },
        # out of the window: a huge theme that must not appear
        {
            "account_id": "A",
            "date": days_before(WINDOW),
            "channel": "webinar",
            "intent_theme": "ancient",
            "count": 99.0,
        },
        # after as_of: ignored
        {
            "account_id": "A",
            "date": AS_OF + dt.timedelta(days=1),
            "channel": "webinar",
            "intent_theme": "future",
            "count": 99.0,
        },
        {
            "account_id": "A",
            "date": days_before(2),
            "channel": "webinar",
            "intent_theme": None,
            "count": 50.0,
        },
        {
            "account_id": "B",
            "date": days_before(2),
            "channel": "webinar",
            "intent_theme": "security",
            "count": 1.0,
        },
    )
    table = table_of(tmp_path, ev, ["A", "B", "C"])
    a, b, c = row_of(table, "A"), row_of(table, "B"), row_of(table, "C")
    assert a["intent_themes"] == ["compliance", "payroll", "ai"]
    assert a["top_intent_theme"] == "compliance"
    assert b["intent_themes"] == ["security"] and b["top_intent_theme"] == "security"
    assert c["intent_themes"] == [] and c["top_intent_theme"] is None


def test_personas_are_distinct_and_from_the_window_only(tmp_path: Path) -> None:
    ev = events(
        {"account_id": "A", "date": days_before(1), "channel": "webinar", "persona": "CFO"},
        {"account_id": "A", "date": days_before(2), "channel": "webinar", "persona": "CFO"},
        {"account_id": "A", "date": days_before(80), "channel": "email_click", "persona": "VP Finance"},
        {"account_id": "A", "date": days_before(WINDOW), "channel": "email_click", "persona": "Intern"},
        {"account_id": "A", "date": AS_OF + dt.timedelta(days=1), "channel": "email_click", "persona": "CEO"},
        {"account_id": "A", "date": days_before(3), "channel": "email_click", "persona": None},
    )
    table = table_of(tmp_path, ev, ["A", "B"])
    a, b = row_of(table, "A"), row_of(table, "B")
    assert sorted(a["personas_engaged"]) == ["CFO", "VP Finance"]
    assert a["persona_count"] == 2
    assert b["personas_engaged"] == [] and b["persona_count"] == 0


def test_accounts_without_events_get_zeros_and_empty_lists(tmp_path: Path) -> None:
    ev = events(
        {
            "account_id": "A",
            "date": days_before(1),
            "channel": "ad_click",
            "count": 2.0,
            "intent_theme": "payroll",
            "persona": "CFO",
        }
    )
    accounts = pl.DataFrame({"account_id": ["Z", "A", "Y"], "name": ["z", "a", "y"]})
    workspace = featured(tmp_path, ev, accounts)
    table, channels = workspace.table, workspace.channels
    assert channels is not None
    # every account, in file order, account columns kept
    assert table.get_column("account_id").to_list() == ["Z", "A", "Y"]
    assert table.get_column("name").to_list() == ["z", "a", "y"]
    per_channel = [f"{c}_{p}" for c in channels for p in features.PERIODS]
    assert table.select(pl.col(per_channel).null_count()).sum_horizontal().item() == 0
    for account in ("Z", "Y"):
        row = row_of(table, account)
        assert all(row[c] == 0.0 for c in per_channel)
        assert row["intent_themes"] == [] and row["personas_engaged"] == []
        assert row["persona_count"] == 0 and row["top_intent_theme"] is None
    assert table.get_column("intent_themes").null_count() == 0
    assert table.get_column("personas_engaged").null_count() == 0
    assert row_of(table, "A")["ad_click_recent"] == 2.0
    # a channel A never used is 0.0, not null, for A too
    assert row_of(table, "A")["webinar_total"] == 0.0


def test_without_an_events_file_the_table_is_the_accounts(tmp_path: Path) -> None:
    accounts = pl.DataFrame({"account_id": ["Z", "A"], "name": ["z", "a"]})
    accounts.write_parquet(tmp_path / "accounts.parquet")
    plan = Plan(name="no events", data=DataSource("accounts.parquet"), base_dir=tmp_path)
    dataset = load_dataset(plan)
    workspace = build_workspace(dataset, plan)
    assert workspace.channels is None and workspace.table is dataset.accounts
    assert workspace.table.equals(accounts)


def test_unknown_channels_get_their_own_columns(tmp_path: Path) -> None:
    ev = events(
        {"account_id": "A", "date": days_before(1), "channel": "podcast_listen", "count": 3.0},
        {"account_id": "A", "date": days_before(1), "channel": "g2_review", "count": 1.0},
        {"account_id": "A", "date": days_before(1), "channel": "ad_click", "count": 1.0},
        {"account_id": "A", "date": days_before(1), "channel": None, "count": 1.0},
    )
    workspace = featured(tmp_path, ev, ["A", "B"])
    table, channels = workspace.table, workspace.channels
    assert channels is not None
    assert channels[: len(CHANNELS)] == CHANNELS
    assert channels[len(CHANNELS) :] == ("g2_review", "podcast_listen")
    assert workspace.report.events_dropped == 1  # the row without a channel
    assert row_of(table, "A")["podcast_listen_recent"] == 3.0
    assert row_of(table, "A")["g2_review_total"] == 1.0
    assert row_of(table, "B")["podcast_listen_total"] == 0.0
    names = feature_names(channels)
    assert {
        "podcast_listen_recent",
        "podcast_listen_window",
        "podcast_listen_total",
        "g2_review_total",
    } <= set(names)
    assert set(names) <= set(table.columns) | {"engagement_recent", "engagement_window", "engagement_total"}


def test_feature_names_cover_every_added_column() -> None:
    names = feature_names(CHANNELS)
    assert len(names) == len(set(names))
    assert {f"{c}_{p}" for c in CHANNELS for p in features.PERIODS} <= set(names)
    for extra in (
        "engagement_recent",
        "engagement_window",
        "engagement_total",
        "days_since_engaged",
        "intent_themes",
        "top_intent_theme",
        "personas_engaged",
        "persona_count",
    ):
        assert extra in names


def test_resolve_as_of() -> None:
    ev = events(
        {"account_id": "A", "date": dt.date(2026, 3, 1), "channel": "ad_click"},
        {"account_id": "A", "date": dt.date(2026, 5, 9), "channel": "ad_click"},
    )
    assert resolve_as_of(dt.date(2025, 1, 1), ev) == dt.date(2025, 1, 1)
    assert resolve_as_of(None, ev) == dt.date(2026, 5, 9)
    assert resolve_as_of(None, None) == dt.date.today()
    assert resolve_as_of(None, ev.clear()) == dt.date.today()


def test_features_from_an_events_file(tmp_path: Path) -> None:
    """A CSV as a planner exports it: text dates, channels in any case, a default count of one."""
    (tmp_path / "accounts.csv").write_text("account_id,name\nA,Acme\n")
    (tmp_path / "events.csv").write_text(
        "account_id,date,channel,intent_theme,persona\n"
        f"A,{AS_OF.isoformat()},Pricing_Page_Visit,pricing,CFO\n"
        f"A,{days_before(RECENT).isoformat()},pricing_page_visit,pricing,CTO\n"
        f"A,{days_before(WINDOW).isoformat()},pricing_page_visit,old,CEO\n"
        "A,not-a-date,pricing_page_visit,x,y\n"
    )
    plan = Plan(name="file", as_of=AS_OF, data=DataSource("accounts.csv", "events.csv"), base_dir=tmp_path)
    workspace = build_workspace(load_dataset(plan), plan)
    assert workspace.report.events_read == 4 and workspace.report.events_dropped == 1
    row = row_of(workspace.table, "A")
    assert (
        row["pricing_page_visit_recent"],
        row["pricing_page_visit_window"],
        row["pricing_page_visit_total"],
    ) == (1.0, 2.0, 3.0)
    assert row["intent_themes"] == ["pricing"]
    assert sorted(row["personas_engaged"]) == ["CFO", "CTO"]
    assert row["days_since_engaged"] == 0
