"""Per-account engagement features, split by what each depends on.

Channel counts (the expensive part: one pass over every event) depend only on the events, the
as-of date and the two windows, so they are computed once per load or window change. The weighted
scores depend on `[engagement.weights]` too, and are a cheap sum over the per-channel columns, so a
weight tweak never re-reads the events.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from abm_tui.core.plan import EngagementSettings

CHANNELS = (
    "ad_impression", "ad_click", "ad_engagement", "website_visit", "pricing_page_visit", "demo_request",
    "webinar", "email_open", "email_click", "content_download", "form_fill",
)
PERIODS = ("recent", "window", "total")
# Being shown an ad is exposure, not engagement: it does not reset days_since_engaged.
PASSIVE_CHANNELS = ("ad_impression",)
LIST_FEATURES = ("intent_themes", "personas_engaged")


def channels_in(events: pl.DataFrame) -> tuple[str, ...]:
    """The design's channels first, then any others the file has, so rules can name either."""
    extra = sorted(set(events.get_column("channel").drop_nulls().unique().to_list()) - set(CHANNELS))
    return CHANNELS + tuple(extra)


def resolve_as_of(plan_as_of: dt.date | None, events: pl.DataFrame | None) -> dt.date:
    """The plan's date, else the newest event, else today: windows end on the data, not the clock."""
    if plan_as_of is not None:
        return plan_as_of
    if events is not None and events.height:
        newest = events.get_column("date").max()
        if isinstance(newest, dt.date):
            return newest
    return dt.date.today()


def channel_counts(
    events: pl.DataFrame, channels: tuple[str, ...], as_of: dt.date, recent_days: int, window_days: int
) -> pl.DataFrame:
    """One row per account with events: C_recent/C_window/C_total per channel, recency, themes, personas."""
    age = (pl.lit(as_of) - pl.col("date")).dt.total_days()
    dated = events.lazy().filter(pl.col("date") <= as_of).with_columns(
        (age < recent_days).alias("_recent"), (age < window_days).alias("_window")
    )
    per_channel = (
        dated.group_by("account_id", "channel")
        .agg(
            pl.col("count").filter("_recent").sum().alias("recent"),
            pl.col("count").filter("_window").sum().alias("window"),
            pl.col("count").sum().alias("total"),
        )
        .collect()
    )
    wide = per_channel.pivot(on="channel", index="account_id", values=list(PERIODS), aggregate_function=None)
    rename = {f"{period}_{channel}": f"{channel}_{period}" for period in PERIODS for channel in channels}
    wide = wide.rename({k: v for k, v in rename.items() if k in wide.columns})
    missing = [pl.lit(0.0).alias(f"{c}_{p}") for c in channels for p in PERIODS if f"{c}_{p}" not in wide.columns]
    wide = wide.with_columns(missing).select("account_id", *[f"{c}_{p}" for c in channels for p in PERIODS])
    return wide.join(_recency_and_lists(dated, as_of), on="account_id", how="left")


def _recency_and_lists(dated: pl.LazyFrame, as_of: dt.date) -> pl.DataFrame:
    in_window = dated.filter("_window")
    themes = (
        in_window.filter(pl.col("intent_theme").is_not_null())
        .group_by("account_id", "intent_theme")
        .agg(pl.col("count").sum().alias("_n"))
        .sort(["account_id", "_n", "intent_theme"], descending=[False, True, False])
        .group_by("account_id", maintain_order=True)
        .agg(pl.col("intent_theme").alias("intent_themes"))
    )
    personas = (
        in_window.filter(pl.col("persona").is_not_null())
        .group_by("account_id")
        .agg(pl.col("persona").unique().sort().alias("personas_engaged"))
    )
    last = (
        dated.filter(~pl.col("channel").is_in(PASSIVE_CHANNELS))
        .group_by("account_id")
        .agg(((pl.lit(as_of) - pl.col("date").max()).dt.total_days()).cast(pl.Int32).alias("days_since_engaged"))
    )
    accounts = dated.select("account_id").unique()
    return (
        accounts.join(last, on="account_id", how="left")
        .join(themes, on="account_id", how="left")
        .join(personas, on="account_id", how="left")
        .collect()
    )


def attach(accounts: pl.DataFrame, counts: pl.DataFrame | None, channels: tuple[str, ...]) -> pl.DataFrame:
    """Accounts with their features; an account without events gets zeros and empty lists, not nulls."""
    if counts is None:
        return accounts
    joined = accounts.join(counts, on="account_id", how="left", maintain_order="left")
    zeros = [pl.col(f"{c}_{p}").fill_null(0.0) for c in channels for p in PERIODS]
    lists = [pl.col(c).fill_null(pl.lit([], pl.List(pl.String))) for c in LIST_FEATURES]
    return joined.with_columns(*zeros, *lists).with_columns(
        pl.col("intent_themes").list.first().alias("top_intent_theme"),
        pl.col("personas_engaged").list.len().cast(pl.Int32).alias("persona_count"),
    )


def weighted_scores(table: pl.DataFrame, channels: tuple[str, ...], settings: EngagementSettings) -> pl.DataFrame:
    """engagement_recent / _window / _total: sums of channel counts times their weights (1 if unnamed)."""
    return table.select(
        pl.sum_horizontal([pl.col(f"{c}_{p}") * settings.weight(c) for c in channels]).alias(f"engagement_{p}")
        for p in PERIODS
    )


def feature_names(channels: tuple[str, ...]) -> list[str]:
    """Every column engagement adds, for validation: a rule naming one needs an engagement file."""
    per_channel = [f"{c}_{p}" for c in channels for p in PERIODS]
    return per_channel + [f"engagement_{p}" for p in PERIODS] + [
        "days_since_engaged", "intent_themes", "top_intent_theme", "personas_engaged", "persona_count",
    ]
