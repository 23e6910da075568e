"""Per-tweak speed of the engine against a straightforward pandas implementation of the same plan.

A tweak is what a planner does in the workbench: change one tier threshold, then read the new
Tier x Stage matrix. Both sides start from the same loaded table (accounts joined with engagement
features); pandas recomputes the whole plan each time, as a notebook would, while the engine
recomputes only the rule that changed. Both are timed in the same run on the same machine, and the
answer is the ratio, since this machine is shared and noisy. The pandas result is checked against
the engine's, so the comparison is of equal work.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/bench_tweak.py                       # 100k, 1M, 5M accounts
    .venv/bin/python benchmarks/bench_tweak.py --sizes 100000 --repeat 10

Data sets are generated with `abm-tui demo` into $ABM_TUI_BENCH_DATA (default: abm-tui-bench in the system's
temporary folder; never committed) and reused.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from abm_tui import Session, edits
from abm_tui.onboarding.demo import write_demo, write_demo_plan
from abm_tui.plan.model import AllOf, AnyOf, Condition, Not, Plan, Sql

CACHE = Path(os.environ.get("ABM_TUI_BENCH_DATA") or Path(tempfile.gettempdir()) / "abm-tui-bench")
MAX_EVENTS = 20_000_000


def demo_set(accounts: int) -> Path:
    """Generated data is reused between runs; the plan is always today's default plan."""
    folder = CACHE / f"demo_{accounts}"
    if not (folder / "engagement.parquet").exists():
        print(f"generating {accounts:,} accounts into {folder} ...", flush=True)
        write_demo(folder, accounts=accounts, events=min(20 * accounts, MAX_EVENTS), seed=7, force=True)
    return write_demo_plan(folder)


# --- the pandas reference: the same plan, recomputed in full, the way a notebook would -----------


def pd_mask(df: pd.DataFrame, condition: Condition) -> pd.Series:
    if isinstance(condition, AllOf):
        result = pd.Series(True, index=df.index)
        for item in condition.items:
            result &= pd_mask(df, item)
        return result
    if isinstance(condition, AnyOf):
        result = pd.Series(False, index=df.index)
        for item in condition.items:
            result |= pd_mask(df, item)
        return result
    if isinstance(condition, Not):
        return ~pd_mask(df, condition.item)
    if isinstance(condition, Sql):
        return df.eval(condition.text).fillna(False).astype(bool)
    column, op, value = df[condition.column], condition.op, condition.value
    if op == "contains":
        if column.dtype == object and column.map(lambda v: isinstance(v, list | np.ndarray)).any():
            return column.map(lambda items: items is not None and value in list(items)).astype(bool)
        return column.str.lower().str.contains(str(value).lower(), regex=False).fillna(False).astype(bool)
    if op == "is_null":
        return column.isna() if value else column.notna()
    tests = {
        "min": lambda: column >= value, "max": lambda: column <= value, "gt": lambda: column > value,
        "lt": lambda: column < value, "eq": lambda: column == value, "ne": lambda: column != value,
        "in": lambda: column.isin(list(value)), "not_in": lambda: ~column.isin(list(value)),
    }
    return (tests[op]() & column.notna()).fillna(False).astype(bool)


def pd_first_match(df: pd.DataFrame, rules, fallback: str) -> pd.Series:
    result = pd.Series(fallback, index=df.index, dtype=object)
    open_ = pd.Series(True, index=df.index)
    for rule in rules:
        take = open_ & pd_mask(df, rule.where)
        result[take] = rule.name
        open_ &= ~take
    return result


def pd_matrix(df: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    df = df.copy()
    df["fit_score"] = 0
    for criterion in plan.criteria:
        df["fit_score"] += criterion.points * pd_mask(df, criterion.where)
    df["bucket"] = pd_first_match(df, plan.buckets, "Unclassified")
    df["stage"] = pd_first_match(df, plan.stages, "Unstaged")
    df["tier"] = "Not target"
    open_ = pd.Series(True, index=df.index)
    for tier in plan.tiers:
        take = open_ & pd_mask(df, tier.where)
        if tier.limit is not None and take.sum() > tier.limit:
            best = df[take].sort_values(["fit_score", "engagement_recent", "account_id"],
                                        ascending=[False, False, True]).head(tier.limit).index
            take = pd.Series(False, index=df.index)
            take[best] = True
        df.loc[take, "tier"] = tier.name
        open_ &= ~take
    rows = [t.name for t in plan.tiers] + ["Not target"]
    cols = [s.name for s in plan.stages] + ["Unstaged"]
    return pd.crosstab(df["tier"], df["stage"]).reindex(index=rows, columns=cols, fill_value=0)


# --- measurements ---------------------------------------------------------------------------


def thresholds(plan: Plan, repeat: int) -> list[Plan]:
    """Tier 1's fit_score minimum nudged down and up, as a planner presses - and +."""
    base = edits.get_test(plan, "tiers", 0, "fit_score", "min")
    steps = [base - 5 + (i % 10) for i in range(repeat)]
    return [edits.set_test(plan, "tiers", 0, "fit_score", "min", value) for value in steps]


def time_engine(session: Session, plans: list[Plan]) -> tuple[list[float], np.ndarray]:
    times = []
    matrix = None
    for plan in plans:
        started = time.perf_counter()
        session.apply(plan)
        matrix = session.matrix()
        times.append(time.perf_counter() - started)
    return times, matrix.values


def time_pandas(frame: pd.DataFrame, plans: list[Plan]) -> tuple[list[float], np.ndarray]:
    times = []
    matrix = None
    for plan in plans:
        started = time.perf_counter()
        matrix = pd_matrix(frame, plan)
        times.append(time.perf_counter() - started)
    return times, matrix.to_numpy()


def bench_size(accounts: int, repeat: int, pandas_repeat: int) -> dict[str, float]:
    plan_path = demo_set(accounts)
    started = time.perf_counter()
    session = Session.open(plan_path)
    load = time.perf_counter() - started
    session.matrix()
    plans = thresholds(session.plan, repeat)
    time_engine(session, plans[:3])  # warm: the first visit of each threshold compiles its mask
    engine_times, engine_matrix = time_engine(session, plans)
    frame = session.engine.frame(session.plan).to_pandas()
    pandas_times, pandas_matrix = time_pandas(frame, plans[-pandas_repeat:])
    if not np.array_equal(engine_matrix, pandas_matrix):
        sys.exit(f"pandas and the engine disagree at {accounts:,} accounts:\n{engine_matrix}\n{pandas_matrix}")
    return {
        "accounts": accounts,
        "load_s": load,
        "engine_median_ms": statistics.median(engine_times) * 1000,
        "engine_p95_ms": float(np.percentile(engine_times, 95)) * 1000,
        "pandas_median_ms": statistics.median(pandas_times) * 1000,
    }


def bench_run(accounts: int) -> dict[str, float]:
    """`abm-tui run` end to end in a child process: wall time and peak memory, against a plain read."""
    plan_path = demo_set(accounts)
    folder = plan_path.parent
    started = time.perf_counter()
    pl.read_csv(folder / "accounts.csv")
    pl.read_parquet(folder / "engagement.parquet")
    read = time.perf_counter() - started
    exe = Path(sys.executable).parent / "abm-tui"
    started = time.perf_counter()
    # A small launcher reports the child's peak: measured from this process, a forked child would
    # count this benchmark's own memory as its own.
    report = subprocess.run(
        [sys.executable, "-c", LAUNCHER, str(exe), "run", str(plan_path), "--out", str(CACHE / f"run_{accounts}")],
        check=True, capture_output=True, text=True,
    )
    wall = time.perf_counter() - started
    return {"accounts": accounts, "run_s": wall, "read_s": read, "peak_mib": int(report.stdout) / 1024}


LAUNCHER = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000,5000000")
    parser.add_argument("--repeat", type=int, default=30, help="engine tweaks per size")
    parser.add_argument("--pandas-repeat", type=int, default=5, help="pandas tweaks per size")
    parser.add_argument("--run-size", type=int, default=1_000_000, help="accounts for the `abm-tui run` timing")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    run = bench_run(args.run_size)
    results = [bench_size(n, args.repeat, args.pandas_repeat) for n in sizes]
    print("\nper tweak (change Tier 1's fit_score minimum, recompute assignments and the Tier x Stage matrix)")
    print(f"{'accounts':>10} {'load s':>8} {'engine median ms':>17} {'p95 ms':>8} {'pandas median ms':>17} "
          f"{'ratio':>7}")
    for r in results:
        print(f"{r['accounts']:>10,} {r['load_s']:>8.1f} {r['engine_median_ms']:>17.1f} {r['engine_p95_ms']:>8.1f} "
              f"{r['pandas_median_ms']:>17.0f} {r['pandas_median_ms'] / r['engine_median_ms']:>6.0f}x")
    if len(results) > 1:
        first = results[0]
        growth = ", ".join(f"{r['accounts'] // first['accounts']}x accounts: "
                           f"{r['engine_median_ms'] / first['engine_median_ms']:.1f}x time" for r in results[1:])
        print(f"engine growth from {first['accounts']:,}: {growth}")
    print(f"\nabm-tui run at {run['accounts']:,} accounts: {run['run_s']:.1f} s wall, peak {run['peak_mib']:,.0f} MiB; "
          f"plain Polars read of the same files: {run['read_s']:.1f} s ({run['run_s'] / run['read_s']:.1f}x)")


if __name__ == "__main__":
    main()
