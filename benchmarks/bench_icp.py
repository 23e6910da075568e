"""`abm-tui icp`'s work against one Polars group_by pass per column over the same frame, as a ratio in one run.

The frame is 1,000,000 generated accounts with 30 attribute columns (12 text, 3 lists, 15 numbers, some
missing values), a crm_stage whose wins depend on two of them, and a tier and fit_score per account. The ICP
side is `icp_report` as `abm-tui icp` calls it (outcome, lift table, suggested criteria, backtest,
lookalikes) and the table rendering; the peer is, for each column, `group_by(column).agg(len, sum(won))`,
all columns collected together (`pl.collect_all`, so both sides use every core). The two alternate and the
medians are compared, since the machine is shared and noisy. The design's bar: within 3x.

    .venv/bin/python benchmarks/bench_icp.py                        # 1,000,000 accounts, 3 rounds
    .venv/bin/python benchmarks/bench_icp.py --rows 100000 --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import polars as pl

from abm_tui.engine.outcomes.outcome import Outcome
from abm_tui.engine.outcomes.report import icp_report
from abm_tui.outputs.icp_report import icp_table

TEXT, LISTS, NUMBERS = 12, 3, 15
TIERS = ("Tier 1", "Tier 2", "Tier 3", "Not target")
BAR = 3.0


def accounts(rows: int, seed: int = 5) -> pl.DataFrame:
    """The frame both sides read; wins favour text_0 = v0 and list_0 holding t0."""
    rng = np.random.default_rng(seed)
    columns: dict[str, pl.Series] = {"account_id": pl.Series([f"A{i:07d}" for i in range(rows)])}
    for j in range(TEXT):
        values = np.array([f"v{k}" for k in range(5 + 4 * j)])
        text = pl.Series(values[rng.integers(0, values.size, rows)])
        columns[f"text_{j}"] = text.scatter(np.flatnonzero(rng.random(rows) < 0.03), None)
    for j in range(LISTS):
        flags = rng.random((rows, 8)) < 0.2
        joined = pl.DataFrame({f"t{k}": flags[:, k] for k in range(8)}).select(
            pl.concat_str([pl.when(f"t{k}").then(pl.lit(f"t{k}")) for k in range(8)], separator=";",
                          ignore_nulls=True).str.split(";")).to_series()
        columns[f"list_{j}"] = joined
    for j in range(NUMBERS):
        numbers = rng.lognormal(3, 1, rows) if j % 2 else rng.integers(0, 10_000, rows).astype(np.float64)
        numbers[rng.random(rows) < 0.05] = np.nan
        columns[f"number_{j}"] = pl.Series(numbers, nan_to_null=True)
    frame = pl.DataFrame(columns)
    signal = frame.select((pl.col("text_0") == "v0").fill_null(False) * 1.5
                          + pl.col("list_0").list.contains("t0").cast(pl.Float64)).to_series().to_numpy()
    won = rng.random(rows) < 0.02 * np.exp(signal)
    stage = np.where(won, "closed_won", np.where(rng.random(rows) < 0.1, "open_opportunity", "none"))
    fit = rng.integers(0, 100, rows) + 20 * won
    tier = np.array(TIERS)[np.digitize(-fit, [-90, -75, -60])]  # fit 90+ Tier 1, 75+ Tier 2, 60+ Tier 3
    return frame.with_columns(pl.Series("crm_stage", stage), pl.Series("fit_score", fit), pl.Series("tier", tier))


def icp_side(frame: pl.DataFrame) -> Callable[[], object]:
    assigned = frame.select("account_id", "tier", "fit_score")
    table = frame.drop("tier", "fit_score")
    criteria = {c for c in table.columns if c != "crm_stage"}

    def run() -> object:
        report = icp_report(table, assigned, TIERS, Outcome.WON, criteria)
        return icp_table(report)

    return run


def peer_side(frame: pl.DataFrame) -> Callable[[], object]:
    attributes = [c for c in frame.columns if c.startswith(("text_", "list_", "number_"))]
    lazy = frame.lazy().with_columns((pl.col("crm_stage") == "closed_won").alias("won"))

    def run() -> object:
        return pl.collect_all([lazy.group_by(c).agg(pl.len(), pl.col("won").sum()) for c in attributes])

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    frame = accounts(args.rows)
    print(f"{args.rows:,} accounts x {TEXT + LISTS + NUMBERS} attribute columns generated in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    sides = {"icp": icp_side(frame), "group_by per column": peer_side(frame)}
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(args.rounds):
        for name, side in sides.items():
            began = time.perf_counter()
            side()
            times[name].append(time.perf_counter() - began)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name:>20}: median {medians[name]:.3f} s  ({', '.join(f'{v:.3f}' for v in values)})")
    ratio = medians["icp"] / medians["group_by per column"]
    verdict = "ok" if ratio <= BAR else "OVER"
    print(f"ratio icp / group_by per column: {ratio:.2f}x (bar: within {BAR:.0f}x) -> {verdict}")


if __name__ == "__main__":
    main()
