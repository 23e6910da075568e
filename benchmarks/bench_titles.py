"""Reading 1,000,000 job titles as function and seniority, against a plain `str.to_lowercase` of the same column.

Two columns are timed: `repeated`, titles drawn from the 413 of tests/data/titles.csv each with a seniority prefix
or region suffix (a few thousand distinct titles, as real contact lists have), and `distinct`, the same with a
number appended to every title (the worst case: every title read once, nothing shared). Medians of alternating
rounds in one process; the ratio is abm-tui's time over the lower-casing pass.

    .venv/bin/python benchmarks/bench_titles.py                 # 1,000,000 titles, 5 rounds
    .venv/bin/python benchmarks/bench_titles.py --rows 100000 --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import polars as pl

from abm_tui.ingest.titles import read_titles

SET = Path(__file__).resolve().parents[1] / "tests" / "data" / "titles.csv"
PREFIXES = ["", "", "", "Sr. ", "Senior ", "Global ", "Interim ", "Associate "]
SUFFIXES = ["", "", "", ", EMEA", " - North America", " (DACH)", " | APAC", ", Enterprise"]


def columns(rows: int, seed: int = 7) -> dict[str, pl.Series]:
    rng = np.random.default_rng(seed)
    titles = pl.read_csv(SET, infer_schema=False).get_column("title").to_numpy()
    pick = rng.integers(0, len(titles), rows)
    pre = np.array(PREFIXES)[rng.integers(0, len(PREFIXES), rows)]
    post = np.array(SUFFIXES)[rng.integers(0, len(SUFFIXES), rows)]
    repeated = pl.Series("job_title", np.char.add(np.char.add(pre, titles[pick].astype(str)), post))
    distinct = repeated + pl.Series(np.arange(rows).astype(str)).map_elements(lambda n: f" #{n}", pl.String)
    return {"repeated": repeated, "distinct": distinct}


def timed(work: object) -> float:
    started = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for name, column in columns(args.rows).items():
        ours, plain = [], []
        for _ in range(args.rounds):
            plain.append(timed(lambda c=column: c.to_frame().select(pl.col("job_title").str.to_lowercase())))
            ours.append(timed(lambda c=column: read_titles(c)))
        distinct = column.n_unique()
        o, p = statistics.median(ours), statistics.median(plain)
        print(f"{name}: {args.rows:,} titles ({distinct:,} distinct): read_titles {o * 1000:.0f} ms, "
              f"to_lowercase {p * 1000:.0f} ms, ratio {o / p:.1f}x")


if __name__ == "__main__":
    main()
