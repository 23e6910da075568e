"""Per-account engagement features, split by what each depends on.

Channel counts (the expensive part: one pass over every event) depend only on the events, the
as-of date, the two windows and the half-lives, so they are computed once per load or change of
those. The weighted scores depend on `[engagement.weights]` too, and are a cheap sum over the
per-channel columns, so a weight tweak never re-reads the events.

Decay: in a channel with a half-life of `h` days, an event of age `a` days (0 on as_of) is worth
`count * 0.5 ** (a / h)` to the weighted scores. Those channels get `{channel}_{period}_decayed`
columns beside the raw `{channel}_{period}` ones, which stay plain sums of count so that a rule such
as `demo_request_recent >= 1` still means "how many". Without half-lives there are no extra columns.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator

import numpy as np
import polars as pl

from abm_tui.errors import AbmError
from abm_tui.plan.model import EngagementSettings

CHANNELS = (
    "ad_impression", "ad_click", "ad_engagement", "website_visit", "pricing_page_visit", "demo_request",
    "webinar", "email_open", "email_click", "content_download", "form_fill",
)
PERIODS = ("recent", "window", "total")
SCORES = "engagement"  # the weighted scores are engagement_recent, engagement_window, engagement_total
# Being shown an ad is exposure, not engagement: it does not reset days_since_engaged.
PASSIVE_CHANNELS = ("ad_impression",)
LIST_FEATURES = ("intent_themes", "personas_engaged")


def channels_in(events: pl.DataFrame, source: str = "the engagement file") -> tuple[str, ...]:
    """The design's channels first, then any others the file (`source`) has, so rules can name either.

    A channel named `engagement` is refused: its counts would be engagement_recent, _window and _total, the
    names of the weighted scores, two columns of one name that no rule could tell apart.
    """
    extra = sorted(set(events.get_column("channel").drop_nulls().unique().to_list()) - set(CHANNELS))
    if SCORES in extra:
        raise AbmError(f"{source}: a channel is named {SCORES!r}; its counts would be "
                       f"{', '.join(f'{SCORES}_{p}' for p in PERIODS)}, the names of the weighted scores; "
                       "expected another channel name (rename it in the file)")
    return CHANNELS + tuple(extra)


def resolve_as_of(plan_as_of: dt.date | None, events: pl.DataFrame | None, today: dt.date | None = None) -> dt.date:
    """The plan's date, else the newest event not after today, else today: windows end on the data, not the clock,
    and one mistyped future date does not empty them (later rows are counted as after as_of). When every event is
    in the future the clock is the odd one out, and the newest event is taken."""
    today = today or dt.date.today()
    if plan_as_of is not None:
        return plan_as_of
    if events is not None and events.height:
        dates = events.get_column("date")
        newest = dates.filter(dates <= today).max()
        newest = dates.max() if newest is None else newest
        if isinstance(newest, dt.date):
            return newest
    return today


def decayed_name(channel: str, period: str) -> str:
    return f"{channel}_{period}_decayed"


def decaying(channels: tuple[str, ...], half_lives: tuple[tuple[str, float], ...]) -> tuple[str, ...]:
    """The channels that get decayed sums, in channel order: a half-life for a channel the events lack adds nothing."""
    named = dict(half_lives)
    return tuple(c for c in channels if c in named)


def account_features(
    events: pl.DataFrame, codes: np.ndarray, size: int, channels: tuple[str, ...], as_of: dt.date,
    recent_days: int, window_days: int, half_lives: tuple[tuple[str, float], ...] = (),
) -> pl.DataFrame:
    """`size` rows, row i holding the features of the account whose events carry code i.

    Codes are the accounts' row positions, so the per-channel sums are NumPy bincounts that land
    already aligned with the accounts: no group-by on ids and no join back, which is what keeps a
    load of 20M events to seconds. Ages are day numbers subtracted (no duration per event); recency is a
    minimum into each account's slot; themes and personas group by the integer code. Decayed
    sums (see the module docstring) are one more bincount per period over the decaying channels' events.
    """
    days = (as_of - dt.date(1970, 1, 1)).days  # a Date is its day number: integer ages, no durations per event
    age = events.select((pl.lit(days, pl.Int32) - pl.col("date").to_physical()).alias("_age")).to_series().to_numpy()
    count = events.get_column("count").cast(pl.Float64).to_numpy()
    channel = events.get_column("channel").cast(pl.Enum(channels)).to_physical().fill_null(0).to_numpy()
    valid = (age >= 0) & events.get_column("channel").is_not_null().to_numpy()
    flat = channel.astype(np.int64) * size + codes
    periods = {"recent": valid & (age < recent_days), "window": valid & (age < window_days), "total": valid}
    sums = {p: _per_channel(flat, count * selected, size, len(channels)) for p, selected in periods.items()}
    columns = {f"{c}_{p}": sums[p][j] for j, c in enumerate(channels) for p in PERIODS}
    columns |= _decayed_sums(codes, count, age, channel, periods, size, channels, half_lives)
    counts = pl.DataFrame(columns)
    passive = np.zeros(len(channels), dtype=bool)
    passive[[channels.index(c) for c in PASSIVE_CHANNELS if c in channels]] = True
    engaged = valid & ~passive[channel]
    keyed = events.select("intent_theme", "persona", "count").with_columns(
        pl.Series("_k", codes, dtype=pl.UInt32), pl.Series("_age", age)
    ).filter(pl.Series(valid))
    return counts.with_columns(
        _days_since_engaged(codes[engaged], age[engaged], size),
        *_window_lists(keyed, size, window_days),
    )


def _per_channel(flat: np.ndarray, weights: np.ndarray, size: int, width: int) -> np.ndarray:
    """Sums by `flat` (channel * size + account), one contiguous row per channel: a column each, without a copy."""
    return np.bincount(flat, weights=weights, minlength=size * width).reshape(width, size)


def _decayed_sums(
    codes: np.ndarray, count: np.ndarray, age: np.ndarray, channel: np.ndarray, periods: dict[str, np.ndarray],
    size: int, channels: tuple[str, ...], half_lives: tuple[tuple[str, float], ...],
) -> dict[str, np.ndarray]:
    """`{channel}_{period}_decayed` for the channels with a half-life, summed over only their events.

    Ages are whole days, so each channel's `0.5 ** (age / h)` is a short table looked up per event
    rather than a power per event. Only events on or before as_of are kept: a future event's negative
    age has no place in the table (and raised to a power could overflow).
    """
    names = decaying(channels, half_lives)
    if not names:
        return {}
    slot = np.full(len(channels), -1, dtype=np.int32)  # a decaying channel's column in the sums, by channel code
    slot[[channels.index(c) for c in names]] = np.arange(len(names))
    rows = np.flatnonzero(periods["total"] & (slot[channel] >= 0))
    column, days = slot[channel[rows]], age[rows]
    half = dict(half_lives)
    fade = 0.5 ** (np.arange(days.max(initial=0) + 1) / np.array([[half[c]] for c in names]))
    worth = count[rows] * fade[column, days]
    flat = column.astype(np.int64) * size + codes[rows]
    sums = {p: _per_channel(flat, worth * selected[rows], size, len(names)) for p, selected in periods.items()}
    return {decayed_name(c, p): sums[p][j] for j, c in enumerate(names) for p in PERIODS}


def _days_since_engaged(codes: np.ndarray, age: np.ndarray, size: int) -> pl.Series:
    """The youngest engaged event per account, by an unbuffered minimum into the account's slot."""
    unseen = np.iinfo(np.int32).max
    days = np.full(size, unseen, dtype=np.int32)
    np.minimum.at(days, codes, age.astype(np.int32))
    return pl.Series("days_since_engaged", days).replace(unseen, None)


def _window_lists(keyed: pl.DataFrame, size: int, window_days: int) -> list[pl.Series]:
    window = keyed.lazy().filter(pl.col("_age") < window_days)
    themes = (
        window.filter(pl.col("intent_theme").is_not_null())
        .group_by("_k", "intent_theme")
        .agg(pl.col("count").sum().alias("_n"))
        .with_columns(pl.col("intent_theme").cast(pl.String))
        .sort(["_k", "_n", "intent_theme"], descending=[False, True, False])
        .group_by("_k", maintain_order=True)
        .agg(pl.col("intent_theme").alias("intent_themes"))
    )
    personas = (
        window.filter(pl.col("persona").is_not_null())
        .group_by("_k")
        .agg(pl.col("persona").cast(pl.String).unique().sort().alias("personas_engaged"))
    )
    every = pl.LazyFrame({"_k": np.arange(size, dtype=np.uint32)})
    lists = (
        every.join(themes, on="_k", how="left", maintain_order="left")
        .join(personas, on="_k", how="left", maintain_order="left")
        .collect()
    )
    empty = pl.lit([], pl.List(pl.String))
    return [lists.select(pl.col(c).fill_null(empty)).to_series() for c in LIST_FEATURES]


def with_features(accounts: pl.DataFrame, dense: pl.DataFrame, channels: tuple[str, ...],
                  half_lives: tuple[tuple[str, float], ...], accounts_file: str) -> pl.DataFrame:
    """The accounts with their engagement features (from `account_features`) beside them, and the summaries.

    An accounts column named as a feature (an earlier run's assignments.csv fed back in holds
    engagement_recent; a snapshot holds ad_click_window) would make two columns of one name, and a rule
    could not say which it reads, so it is refused, naming the columns, before anything runs.
    """
    made = set(feature_names(channels, half_lives))
    clashes = [name for name in accounts.columns if name in made]
    if clashes:
        listed = ", ".join(clashes[:5]) + (f" and {len(clashes) - 5} more" if len(clashes) > 5 else "")
        one = len(clashes) == 1
        raise AbmError(
            f"{accounts_file}: column{'' if one else 's'} {listed} {'is' if one else 'are'} also computed from the "
            "engagement file; expected accounts without them (rename them, or leave out the engagement file to use "
            "them as they are)"
        )
    return with_summaries(accounts.hstack(dense))


def with_summaries(table: pl.DataFrame) -> pl.DataFrame:
    """top_intent_theme and persona_count, read off the per-account lists."""
    return table.with_columns(
        pl.col("intent_themes").list.first().alias("top_intent_theme"),
        pl.col("personas_engaged").list.len().cast(pl.Int32).alias("persona_count"),
    )


def weighted_scores(table: pl.DataFrame, channels: tuple[str, ...], settings: EngagementSettings) -> pl.DataFrame:
    """engagement_recent / _window / _total: sums of channel counts times their weights (1 if unnamed).

    A channel whose decayed sums are in the table adds those: the table's features were built with the
    plan's half-lives (a half-life change rebuilds them), so the table, not `settings`, says what decays.
    Added left to right in channel order, as the exported SQL adds them: `sum_horizontal` adds in an order
    that depends on the thread count, so an account exactly on a threshold could fall either side of it.
    """
    def column(channel: str, period: str) -> pl.Expr:
        decayed = decayed_name(channel, period)
        return pl.col(decayed if decayed in table.columns else f"{channel}_{period}")

    return table.select(
        functools.reduce(operator.add, [column(c, p) * settings.weight(c) for c in channels], pl.lit(0.0))
        .alias(f"{SCORES}_{p}")
        for p in PERIODS
    )


def feature_names(channels: tuple[str, ...], half_lives: tuple[tuple[str, float], ...] = ()) -> list[str]:
    """Every column engagement adds, for validation: a rule naming one needs an engagement file."""
    per_channel = [f"{c}_{p}" for c in channels for p in PERIODS]
    per_channel += [decayed_name(c, p) for c in decaying(channels, half_lives) for p in PERIODS]
    return per_channel + [f"{SCORES}_{p}" for p in PERIODS] + [
        "days_since_engaged", "intent_themes", "top_intent_theme", "personas_engaged", "persona_count",
    ]
