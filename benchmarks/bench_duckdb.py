"""`abm-tui matrix` against DuckDB running the same plan as one SQL query over the same files.

The plan is exported once with `abm-tui export --to sql` (the warehouse query: one row per account with
its tier and stage). Then, alternating in one run, each side runs as its own process from start to exit:
- `abm-tui matrix PLAN --format json`, which reads, cleans and matches the files and segments them;
- a Python process that imports duckdb, points `accounts` and `events` at the same CSV and Parquet (the
  tech stack split into a list, as the engine reads it) and runs the exported query with a
  `GROUP BY tier, stage`.
Wall time and peak memory of each child are reported with their ratio, and both sides must give the same
matrix, so the comparison is of equal work. The machine is shared: only ratios within one run mean much.

    .venv/bin/python benchmarks/bench_duckdb.py                         # 100k and 1M accounts
    .venv/bin/python benchmarks/bench_duckdb.py --sizes 100000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_tweak import demo_set

DUCKDB_CHILD = r"""
import json, sys
import duckdb
folder, query = sys.argv[1], open(sys.argv[2]).read().rstrip().rstrip(";")
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")  # it draws on stdout, where the counts go
con.execute(f"CREATE VIEW accounts AS SELECT * REPLACE (string_split(tech_stack, ';') AS tech_stack) "
            f"FROM read_csv('{folder}/accounts.csv')")
con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{folder}/engagement.parquet')")
rows = con.execute(f"SELECT tier, stage, count(*) FROM ({query}) GROUP BY tier, stage").fetchall()
print(json.dumps([[tier, stage, n] for tier, stage, n in rows]))
"""


# Reports its child's peak memory, then the child's output: measured from here, a forked child would count
# this benchmark's own memory as its own.
LAUNCHER = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], check=True, capture_output=True, "
    "text=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(done.stdout, end='')"
)


def timed(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak MiB and stdout of one child process (the launcher reports the child's own peak)."""
    started = time.perf_counter()
    report = subprocess.run([sys.executable, "-c", LAUNCHER, *command],
                            check=True, capture_output=True, text=True)
    wall = time.perf_counter() - started
    peak, _, out = report.stdout.partition("\n")
    return wall, int(peak) / 1024, out


def cells_of_matrix(text: str) -> dict[tuple[str, str], int]:
    matrix = json.loads(text)
    return {(row, col): int(n) for row, line in zip(matrix["rows"], matrix["counts"], strict=True)
            for col, n in zip(matrix["cols"], line, strict=True) if n}


def cells_of_duckdb(text: str) -> dict[tuple[str, str], int]:
    return {(tier, stage): n for tier, stage, n in json.loads(text) if n}


def bench(accounts: int, rounds: int) -> dict[str, float]:
    plan = demo_set(accounts)
    exe = str(Path(sys.executable).parent / "abm-tui")
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([exe, "export", str(plan), "--to", "sql", "--out", out], check=True, capture_output=True)
        query = Path(out) / "plan.sql"
        ours = [exe, "matrix", str(plan), "--format", "json"]
        theirs = [sys.executable, "-c", DUCKDB_CHILD, str(plan.parent), str(query)]
        walls: dict[str, list[float]] = {"abm": [], "duckdb": []}
        peaks: dict[str, list[float]] = {"abm": [], "duckdb": []}
        for _ in range(rounds):
            for side, command in (("abm", ours), ("duckdb", theirs)):
                wall, peak, text = timed(command)
                walls[side].append(wall)
                peaks[side].append(peak)
                cells = cells_of_matrix(text) if side == "abm" else cells_of_duckdb(text)
                if side == "abm":
                    expected = cells
                elif cells != expected:
                    sys.exit(f"abm-tui and DuckDB disagree at {accounts:,} accounts:\n{expected}\n{cells}")
    return {"accounts": accounts, **{f"{side}_s": statistics.median(v) for side, v in walls.items()},
            **{f"{side}_mib": max(v) for side, v in peaks.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each side, alternating")
    args = parser.parse_args()
    results = [bench(int(n), args.rounds) for n in args.sizes.split(",") if n]
    print("\n`abm-tui matrix --format json` against DuckDB running the exported SQL (GROUP BY tier, stage), "
          "whole processes, medians; same matrix checked")
    print(f"{'accounts':>10} {'abm-tui s':>10} {'duckdb s':>9} {'ratio':>6} {'abm-tui MiB':>12} {'duckdb MiB':>11} "
          f"{'ratio':>6}")
    for r in results:
        print(f"{r['accounts']:>10,} {r['abm_s']:>10.2f} {r['duckdb_s']:>9.2f} {r['abm_s'] / r['duckdb_s']:>5.1f}x "
              f"{r['abm_mib']:>12,.0f} {r['duckdb_mib']:>11,.0f} {r['abm_mib'] / r['duckdb_mib']:>5.1f}x")
    if len(results) > 1:
        first = results[0]
        print(f"growth from {first['accounts']:,}: " + ", ".join(
            f"{r['accounts'] // first['accounts']}x accounts: abm-tui {r['abm_s'] / first['abm_s']:.1f}x, "
            f"duckdb {r['duckdb_s'] / first['duckdb_s']:.1f}x" for r in results[1:]))


if __name__ == "__main__":
    main()
