"""Weekly engagement series for one account, on hand-built events with known week boundaries."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from abm_tui.engine.timeline import engaged_values, weekly_engagement

AS_OF = dt.date(2026, 11, 20)
CHANNELS = ("ad_click", "website_visit", "demo_request", "webinar")


def events(*rows: tuple[int, str, str, float, str | None, str | None]) -> pl.DataFrame:
    """Events as the session holds them: `_row` (UInt32), date, categorical channel, count, theme, persona."""
    frame = pl.DataFrame(
        rows, schema=["_row", "date", "channel", "count", "intent_theme", "persona"], orient="row"
    )
    return frame.with_columns(
        pl.col("_row").cast(pl.UInt32),
        pl.col("date").str.to_date(),
        pl.col("channel", "intent_theme", "persona").cast(pl.Categorical),
        pl.col("count").cast(pl.Float64),
        pl.lit("c").alias("campaign"),
    )


def test_weeks_end_on_as_of_and_step_back_seven_days() -> None:
    given = events(
        (3, "2026-11-20", "ad_click", 1, None, None),  # as_of itself: last week
        (3, "2026-11-14", "ad_click", 2, None, None),  # 6 days before: still last week
        (3, "2026-11-13", "ad_click", 4, None, None),  # 7 days before: the week before
        (3, "2026-11-07", "website_visit", 8, None, None),  # 13 days before: the week before
        (3, "2026-10-31", "ad_click", 16, None, None),  # 20 days before: first of three weeks
        (3, "2026-10-30", "ad_click", 32, None, None),  # 21 days before: outside three weeks
    )
    assert weekly_engagement(given, 3, CHANNELS, AS_OF, weeks=3) == {
        "ad_click": [16.0, 4.0, 3.0],
        "website_visit": [0.0, 8.0, 0.0],
    }


def test_events_after_as_of_and_other_accounts_are_ignored() -> None:
    given = events(
        (3, "2026-11-21", "ad_click", 100, None, None),  # the day after as_of
        (3, "2026-11-19", "ad_click", 1, None, None),
        (4, "2026-11-19", "ad_click", 50, None, None),  # another account
        (4, "2026-11-19", "webinar", 50, None, None),
    )
    assert weekly_engagement(given, 3, CHANNELS, AS_OF, weeks=2) == {"ad_click": [0.0, 1.0]}


def test_channels_without_events_in_the_period_are_omitted_and_order_follows_channels() -> None:
    given = events(
        (0, "2026-11-01", "webinar", 1, None, None),
        (0, "2026-11-02", "ad_click", 1, None, None),
        (0, "2026-11-22", "demo_request", 1, None, None),  # only after as_of
        (0, "2025-01-01", "website_visit", 1, None, None),  # only long before the period
    )
    assert list(weekly_engagement(given, 0, CHANNELS, AS_OF)) == ["ad_click", "webinar"]
    assert all(len(series) == 26 for series in weekly_engagement(given, 0, CHANNELS, AS_OF).values())


def test_an_account_without_events_has_no_series() -> None:
    given = events((1, "2026-11-19", "ad_click", 1, None, None))
    assert weekly_engagement(given, 0, CHANNELS, AS_OF) == {}


@pytest.mark.parametrize(
    ("column", "days", "expected"),
    [
        ("intent_theme", 30, [("security", 4.0), ("pricing", 1.0)]),
        ("intent_theme", 5, [("pricing", 1.0), ("security", 1.0)]),
        ("persona", 30, [("CFO", 4.0), ("CTO", 2.0)]),
    ],
)
def test_engaged_values_sum_counts_in_the_days_to_as_of(column: str, days: int, expected: list) -> None:
    given = events(
        (2, "2026-11-20", "ad_click", 1, "security", "CTO"),
        (2, "2026-11-16", "webinar", 1, "pricing", "CFO"),
        (2, "2026-11-01", "webinar", 3, "security", "CFO"),
        (2, "2026-11-21", "webinar", 9, "budget", "CEO"),  # after as_of
        (2, "2026-11-19", "webinar", 1, None, "CTO"),
        (5, "2026-11-19", "webinar", 7, "budget", "CEO"),  # another account
    )
    assert engaged_values(given, 2, column, AS_OF, days) == expected
