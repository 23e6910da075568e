"""`abm-tui demo --accounts N --out DIR`: a synthetic demo set (accounts, engagement, plan, history)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from abm_tui.cli.command import Command
from abm_tui.cli.common import check_range

# Bounds that catch a typo before a folder is half written: 1M accounts with 20M events take about 12 s and 3 GB.
MAX_ACCOUNTS = 10_000_000
MAX_EVENTS = 200_000_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from abm_tui.onboarding.demo import LAYOUT_FILES

    parser.add_argument("--accounts", type=int, required=True, help="number of accounts")
    parser.add_argument("--out", required=True, help="folder to write accounts.csv, engagement.parquet, plan.toml")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--events", type=int, help="number of engagement rows (default 20 per account)")
    parser.add_argument("--force", action="store_true", help="replace demo files already in --out")
    parser.add_argument("--layout", choices=tuple(LAYOUT_FILES), default="canonical",
                        help="write the accounts as that CRM exports them (default: canonical columns)")


def run(args: argparse.Namespace) -> int:
    from abm_tui.onboarding.demo import write_demo

    check_range("--accounts", args.accounts, 1, MAX_ACCOUNTS)
    check_range("--events", args.events, 1, MAX_EVENTS)
    check_range("--seed", args.seed, 0)
    started = time.perf_counter()
    written = write_demo(Path(args.out), args.accounts, args.events, args.seed, force=args.force, layout=args.layout)
    for path in written:
        print(f"wrote {path}")
    print(f"done in {time.perf_counter() - started:.1f} s; open it with: abm-tui {written[-1]}")
    return 0


COMMAND = Command("demo", "Write a synthetic demo set.", add_arguments, run)
