"""One account's engagement over time: the weekly series and the themes behind the account screen.

Ages are counted in days back from as_of (0 on as_of itself), the same arithmetic the recent and
window features use, so week buckets line up with them: the last bucket is the seven days ending on
as_of, and events dated after as_of are ignored as they are everywhere else.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

DAYS_PER_WEEK = 7


def account_events(events: pl.DataFrame, row: int, as_of: dt.date, days: int) -> pl.DataFrame:
    """The account's events dated in the `days` days ending on as_of, each with its `_age` in days."""
    age = (pl.lit(as_of) - pl.col("date")).dt.total_days()
    return (
        events.filter(pl.col("_row") == row)
        .with_columns(age.alias("_age"))
        .filter(pl.col("_age").is_between(0, days - 1))
    )


def weekly_engagement(
    events: pl.DataFrame, row: int, channels: tuple[str, ...], as_of: dt.date, weeks: int = 26
) -> dict[str, list[float]]:
    """Summed `count` per week and channel, oldest week first; only channels with events in the period.

    `channels` gives the order (the session's channel list); the last week ends on as_of.
    """
    sums = (
        account_events(events, row, as_of, weeks * DAYS_PER_WEEK)
        .filter(pl.col("channel").is_not_null())
        .group_by(
            pl.col("channel").cast(pl.String),
            (weeks - 1 - pl.col("_age") // DAYS_PER_WEEK).alias("week"),
        )
        .agg(pl.col("count").sum())
    )
    present = set(sums.get_column("channel").to_list())
    series = {channel: [0.0] * weeks for channel in channels if channel in present}
    for channel, week, total in sums.iter_rows():  # at most channels x weeks aggregated rows
        if channel in series:
            series[channel][week] = float(total)
    return series


def engaged_values(events: pl.DataFrame, row: int, column: str, as_of: dt.date, days: int) -> list[tuple[str, float]]:
    """Summed `count` per value of `column` (intent_theme, persona) in the `days` to as_of, biggest first."""
    sums = (
        account_events(events, row, as_of, days)
        .filter(pl.col(column).is_not_null())
        .group_by(pl.col(column).cast(pl.String))
        .agg(pl.col("count").sum())
        .sort(["count", column], descending=[True, False])
    )
    return [(value, float(total)) for value, total in sums.iter_rows()]
