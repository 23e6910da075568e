"""`abm-tui icp PLAN`: what the accounts that closed share, suggested fit criteria, and the plan's backtest.

Standard library only at the top, so `abm-tui --help` stays instant; the pipeline is imported in `run`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from abm_tui.cli.command import Command

NAME = "icp"
DESCRIPTION = ("What closed-won accounts share (lift of every attribute value against the base rate), suggested fit "
               "criteria with their evidence, and the plan's backtest: per tier, the AUC of fit_score, the gains, "
               "and the not-yet-won accounts that look like the won ones.")
FORMATS = ("table", "csv", "json", "markdown")
OUTCOMES = ("won", "opportunity")  # abm_tui.engine.outcomes.outcome.Outcome, spelled here to keep --help cheap


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan", help="plan file (.toml); its [history] folder's oldest snapshot, if any, is "
                        "backtested on today's outcomes")
    parser.add_argument("--outcome", choices=OUTCOMES, default="won",
                        help="won: crm_stage closed_won or customer (default); opportunity: any account that "
                        "reached an opportunity, for lists with few wins")
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument("--out", help="also write icp.csv, icp.json and icp.md into this folder")
    parser.add_argument("--write-plan", metavar="FILE", help="write a plan with the suggested fit criteria in place "
                        "of the plan's own")
    parser.add_argument("--force", action="store_true", help="replace the --write-plan file if it exists")


def run(args: argparse.Namespace) -> int:
    from abm_tui.engine.outcomes.outcome import Outcome
    from abm_tui.outputs.icp_report import RENDERINGS, gather, write_plan, write_report
    from abm_tui.plan.paths import input_paths
    from abm_tui.session import Session

    session = Session.open(args.plan)
    report = gather(session, Outcome(args.outcome))
    sys.stdout.write(RENDERINGS[args.format](report).rstrip("\n") + "\n")
    inputs = input_paths(session.plan, Path(args.plan))
    if args.out:
        for path in write_report(report, Path(args.out), inputs):
            print(f"wrote {path}", file=sys.stderr)
    if args.write_plan:
        path = write_plan(session.plan, report.suggestions, Path(args.write_plan), inputs, force=args.force)
        total = sum(s.points for s in report.suggestions.items)
        print(f"wrote {path}: {len(report.suggestions.items)} suggested criteria, at most {total} points; its "
              "tiers are the plan's, so check their fit_score thresholds", file=sys.stderr)
    return 0


COMMAND = Command(NAME, DESCRIPTION, add_arguments, run)
