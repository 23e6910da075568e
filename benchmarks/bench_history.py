"""The quarterly review and the diff of two snapshots, each against Polars reading the same snapshot files.

The history is 12 weekly snapshots of 1,000,000 generated accounts, written with
`history.write_snapshot` in the columns and dtypes a real `abm-tui run` keeps (the demo's account
columns, the bundled plan's tiers, stages, buckets and plays, engagement columns and the columns
its rules read). Each week evolves from the one before, as real weeks do: some accounts open
opportunities, some of those are won or lost, engagement decays and renews, stages and tiers drift,
a few fit scores change, and buckets follow the engagement, so every part of the review and the
diff has work to do. The reference is
`pl.read_parquet` of the 12 files (all columns); the review is `review(list_snapshots(folder))` with
its defaults, as `abm-tui review` calls it. The diff is `diff(first, last)` as `abm-tui diff A B`
calls it (read both, compare, explain every moved account), against `pl.read_parquet` of those two
files. All run in the same process, alternating, and the medians are compared, since the machine is
shared and noisy.

    .venv/bin/python benchmarks/bench_history.py                       # 1,000,000 accounts, 12 weeks, 3 rounds
    .venv/bin/python benchmarks/bench_history.py --rows 100000 --rounds 5 --by tier

The history is generated into benchmarks/.cache/ (not committed) and reused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from abm_tui.history.diff import diff
from abm_tui.history.review import DIMENSIONS, review
from abm_tui.history.snapshots import list_snapshots, write_snapshot
from abm_tui.onboarding.demo import DEMO_AS_OF, generate
from abm_tui.plan.model import NOT_TARGET, UNCLASSIFIED, Plan
from abm_tui.plan.parse import load_plan

CACHE = Path(__file__).resolve().parent / ".cache"
PLAN = Path(__file__).resolve().parent.parent / "data" / "plan.toml"
CRM = ("none", "open_opportunity", "closed_won", "closed_lost", "churned", "customer")
NONE, OPEN, WON, LOST, CHURNED, CUSTOMER = range(len(CRM))
# Weekly chances: an opportunity opens, an open one is won or lost, a win becomes a customer, a customer churns.
OPENS, WINS, LOSES, ONBOARDS, CHURNS = 0.01, 0.04, 0.04, 0.10, 0.005
TIERS = 4  # the bundled plan's three and Not target
INTEREST = ("Identified", "Aware", "Interested", "Considering")
WINDOW_COLUMNS = ("ad_click_window", "ad_engagement_window", "ad_impression_window", "content_download_window",
                  "demo_request_window", "email_click_window", "pricing_page_visit_window")


def history_folder(rows: int, weeks: int) -> Path:
    folder = CACHE / f"history_{rows}_{weeks}" / "history"
    if len(list_snapshots(folder)) != weeks:
        print(f"generating {weeks} weekly snapshots of {rows:,} accounts into {folder} ...", flush=True)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        write_history(folder, rows, weeks)
    return folder


def write_history(folder: Path, rows: int, weeks: int) -> None:
    plan = load_plan(PLAN)
    rng = np.random.default_rng(7)
    accounts = generate(rows, 0, seed=7).accounts
    crm = accounts.get_column("crm_stage").replace_strict(CRM, range(len(CRM)), return_dtype=pl.Int8)
    state = {
        "crm": crm.to_numpy().copy(),
        "amount": accounts.get_column("opportunity_amount").to_numpy().copy(),
        "close": np.full(rows, np.datetime64("NaT"), dtype="datetime64[D]"),
        "interest": rng.integers(0, len(INTEREST), rows),
        "tier": rng.choice(TIERS, rows, p=[0.01, 0.05, 0.14, 0.80]),
        "first": np.where(rng.random(rows) < 0.4, np.datetime64(DEMO_AS_OF - dt.timedelta(days=400), "D")
                          + rng.integers(0, 300, rows), np.datetime64("NaT")),
        "fit": rng.integers(0, 120, rows) // 5 * 5,
        "recent": rng.exponential(4.0, rows),
        "older": rng.exponential(10.0, rows),
        "quiet": rng.integers(0, 90, rows),
        "windows": rng.poisson(1.0, (len(WINDOW_COLUMNS), rows)).astype(np.float64),
    }
    for week in range(weeks):
        as_of = DEMO_AS_OF - dt.timedelta(days=7 * (weeks - 1 - week))
        if week:
            advance(state, rng, as_of)
        write_snapshot(folder, snapshot(accounts, state, plan, as_of), plan, as_of)


def advance(state: dict[str, np.ndarray], rng: np.random.Generator, as_of: dt.date) -> None:
    """One week of CRM movement and drifting engagement, all as whole-array steps."""
    crm = state["crm"]
    draw = rng.random(crm.shape[0])
    opened = (crm == NONE) & (draw < OPENS)
    won = (crm == OPEN) & (draw < WINS)
    lost = (crm == OPEN) & (draw >= WINS) & (draw < WINS + LOSES)
    onboarded = (crm == WON) & (draw < ONBOARDS)
    churned = (crm == CUSTOMER) & (draw < CHURNS)
    crm[opened], crm[won], crm[lost], crm[onboarded], crm[churned] = OPEN, WON, LOST, CUSTOMER, CHURNED
    state["amount"][opened] = np.round(rng.lognormal(10.5, 0.8, opened.sum()), -2)
    closed = won | lost
    state["close"][closed] = np.datetime64(as_of, "D") - rng.integers(0, 7, closed.sum())
    step = rng.choice((-1, 0, 1), crm.shape[0], p=(0.05, 0.9, 0.05))
    state["interest"] = np.clip(state["interest"] + step, 0, len(INTEREST) - 1)
    moved = rng.random(crm.shape[0]) < 0.02
    state["tier"][moved] = rng.integers(0, TIERS, moved.sum())
    refit = rng.random(crm.shape[0]) < 0.005  # firmographics change rarely
    state["fit"][refit] = rng.integers(0, 120, refit.sum()) // 5 * 5
    engaged = rng.random(crm.shape[0]) < 0.3  # a week's engagement: new events for some, the rest age
    fresh = rng.exponential(4.0, crm.shape[0]) * engaged
    state["older"] = state["older"] * 0.9 + state["recent"] * 0.25
    state["recent"] = state["recent"] * 0.75 + fresh
    state["quiet"] = np.where(engaged, rng.integers(0, 7, crm.shape[0]), state["quiet"] + 7)
    windows = state["windows"]
    touched = rng.random(windows.shape) < 0.05
    windows[touched] = np.maximum(0, windows[touched] + rng.choice((-1, 1), touched.sum()))


def snapshot(accounts: pl.DataFrame, state: dict[str, np.ndarray], plan: Plan, as_of: dt.date) -> pl.DataFrame:
    """The week as `history.snapshot_frame` lays it out: segment columns, outcomes, engagement, rule inputs."""
    tiers = [t.name for t in plan.tiers] + [NOT_TARGET]
    buckets = [b.name for b in plan.buckets] + [UNCLASSIFIED]
    plays = [p.name for p in plan.plays] + ["No play"]
    crm = pl.Series(state["crm"]).replace_strict(range(len(CRM)), CRM, return_dtype=pl.String)
    stage = (
        pl.when(crm.is_in(["closed_won", "customer"])).then(pl.lit("Closed Won"))
        .when(crm.is_in(["closed_lost", "churned"])).then(pl.lit("Closed Lost"))
        .when(crm == "open_opportunity").then(pl.lit("Selecting"))
        .otherwise(pl.Series(state["interest"]).replace_strict(range(len(INTEREST)), INTEREST,
                                                               return_dtype=pl.String))
    )
    recent = state["recent"]
    window = recent + state["older"]
    # Buckets follow the engagement as the bundled plan's rules read it; plays follow tier and stage.
    bucket = np.select([recent >= 20, window >= 60, state["quiet"] >= 30, window < 5], [0, 1, 2, 3], 4)
    frame = accounts.select("account_id", "name", "domain").with_columns(
        pl.Series("fit_score", state["fit"], dtype=pl.Int64),
        pl.Series("tier", np.asarray(tiers)[state["tier"]], dtype=pl.String),
        stage.alias("stage"),
        pl.Series("bucket", np.asarray(buckets)[bucket], dtype=pl.String),
    ).with_columns(
        (pl.col("tier") + " / " + pl.col("stage")).alias("segment"),
    ).with_columns(
        pl.col("segment").hash().mod(len(plays)).cast(pl.Int64)
        .replace_strict(range(len(plays)), plays, return_dtype=pl.String).alias("play"),
        crm.alias("crm_stage"),
        pl.Series("opportunity_amount", state["amount"], dtype=pl.Float64, nan_to_null=True),
        pl.Series("close_date", state["close"], dtype=pl.Date),
        pl.Series("engagement_recent", recent), pl.Series("engagement_window", window),
        pl.Series("days_since_engaged", state["quiet"], dtype=pl.Int32),
        pl.Series("first_engaged", state["first"], dtype=pl.Date),
        pl.Series("last_engaged", np.datetime64(as_of, "D") - state["quiet"], dtype=pl.Date),
        pl.lit("website_visit").alias("last_channel"),
    )
    windows = [pl.Series(name, state["windows"][i]) for i, name in enumerate(WINDOW_COLUMNS)]
    inputs = accounts.select(pl.col("annual_revenue").cast(pl.Float64), "employees", "funding_stage", "industry",
                             "region", "tech_stack")
    return frame.hstack(windows).hstack(inputs).with_columns(pl.Series("engagement_total", window * 1.5))


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--by", choices=DIMENSIONS, default="segment")
    args = parser.parse_args()
    folder = history_folder(args.rows, args.weeks)
    paths = [snap.path for snap in list_snapshots(folder)]
    first, last = paths[0], paths[-1]
    sides = {
        "read 12": lambda: [pl.read_parquet(path) for path in paths],
        "review": lambda: review(list_snapshots(folder), by=args.by),
        "read 2": lambda: [pl.read_parquet(path) for path in (first, last)],
        "diff": lambda: diff(first, last),
    }
    times: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(args.rounds):
        for side, action in sides.items():
            times[side].append(timed(action))
    result = review(list_snapshots(folder), by=args.by)
    moved = diff(first, last).movement
    size_mib = sum(path.stat().st_size for path in paths) / 2**20
    print(f"\n{args.rows:,} accounts x {len(paths)} weekly snapshots ({size_mib:,.0f} MiB), "
          f"review by {args.by} over {len(result.snapshots)} snapshots, diff of the first and last "
          f"({moved.changed.height:,} accounts changed), {args.rounds} rounds")
    print(f"{'':>8} {'median s':>9} {'min s':>7}")
    for side, values in times.items():
        print(f"{side:>8} {statistics.median(values):>9.2f} {min(values):>7.2f}")
    for work, reference in (("review", "read 12"), ("diff", "read 2")):
        ratio = statistics.median(times[work]) / statistics.median(times[reference])
        print(f"{work} / plain Polars {reference}: {ratio:.2f}x (the bar is 5x)")


if __name__ == "__main__":
    main()
