"""`abm-tui run PLAN`: segment headless and write the run's files, its destinations and its history."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from abm_tui.cli.command import Command
from abm_tui.cli.common import format_table, open_publishable, out_dir, publish


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan", help="plan file (.toml)")
    parser.add_argument("--out", help="output folder (default: exports/ beside the plan)")
    parser.add_argument("--no-history", action="store_true",
                        help="do not keep this run's snapshot in the plan's history folder (a trial run)")


def run(args: argparse.Namespace) -> int:
    from abm_tui.outputs.run_files import RUN_FILES

    started = time.perf_counter()
    plan_path = Path(args.plan)
    session = open_publishable(args.plan)
    print(f"{session.plan.name} (as of {session.as_of.isoformat()})")
    print("\n".join(session.report.summary()))
    matrix = session.matrix()
    print()
    print(format_table(matrix))
    print()
    publish(session, out_dir(args, plan_path), plan_path, RUN_FILES, session.plan.export.to, matrix,
            keep_history=not args.no_history)
    print(f"done in {time.perf_counter() - started:.2f} s")
    return 0


COMMAND = Command("run", "Segment and write the exports.", add_arguments, run)
