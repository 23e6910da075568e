"""Loading a messy CRM export against Polars reading the same file with no cleaning at all.

The file is the demo's accounts in the layout of a HubSpot companies export (`abm_tui.onboarding.crm_layouts`):
labels for headers, `$1,200,000` and `1.2M` amounts, `1,001-5,000` size ranges, enum industries, URLs
for some domains. abm-tui detects the layout, maps it, cleans every value and checks the ids; the
reference is `pl.read_csv(path)`. Each side runs in its own fresh process (so peak memory is that
side's own), alternating, and the medians are compared: the machine is shared and noisy.

    .venv/bin/python benchmarks/bench_ingest.py                 # 1,000,000 rows, 3 rounds
    .venv/bin/python benchmarks/bench_ingest.py --rows 100000 --rounds 5

The file is generated into benchmarks/.cache/ (not committed) and reused.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from abm_tui.onboarding.crm_layouts import hubspot_export
from abm_tui.onboarding.demo import generate

CACHE = Path(__file__).resolve().parent / ".cache"

# Each child times only the read, and reports its own peak resident memory (KiB on Linux).
CHILD = {
    "polars": "import polars as pl\nstarted = time.perf_counter()\nframe = pl.read_csv(path)\n",
    "abm-tui": (
        "from pathlib import Path\nfrom abm_tui.ingest.load import load_accounts\nstarted = time.perf_counter()\n"
        "frame = load_accounts(Path(path)).frame\n"
    ),
}
CHILD_TAIL = (
    "elapsed = time.perf_counter() - started\n"
    "print(json.dumps({'s': elapsed, 'rows': frame.height, 'cols': frame.width,"
    " 'peak_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n"
)


def export_file(rows: int) -> Path:
    path = CACHE / f"hubspot_{rows}" / "hubspot-companies.csv"
    if not path.exists():
        print(f"generating a {rows:,}-row HubSpot companies export into {path} ...", flush=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        hubspot_export(generate(rows, 0, seed=7).accounts).write_csv(path)
    return path


def measure(side: str, path: Path) -> dict[str, float]:
    script = f"import json, resource, time\npath = {str(path)!r}\n" + CHILD[side] + CHILD_TAIL
    done = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    path = export_file(args.rows)
    runs: dict[str, list[dict[str, float]]] = {side: [] for side in CHILD}
    for _ in range(args.rounds):
        for side in CHILD:
            runs[side].append(measure(side, path))
    size_mib = path.stat().st_size / 2**20
    print(f"\n{args.rows:,}-row HubSpot companies export ({size_mib:,.0f} MiB), {args.rounds} rounds")
    print(f"{'':>10} {'median s':>9} {'min s':>7} {'peak MiB':>9} {'columns':>8}")
    for side, results in runs.items():
        times = [r["s"] for r in results]
        print(f"{side:>10} {statistics.median(times):>9.2f} {min(times):>7.2f} "
              f"{max(r['peak_kib'] for r in results) / 1024:>9,.0f} {results[0]['cols']:>8}")
    ratio = statistics.median(r["s"] for r in runs["abm-tui"]) / statistics.median(r["s"] for r in runs["polars"])
    print(f"abm-tui load / plain Polars read: {ratio:.2f}x (the bar is 3x)")


if __name__ == "__main__":
    main()
