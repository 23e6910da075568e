"""`abm-tui review PLAN`: the quarterly review from the plan's history folder."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from abm_tui.cli.command import Command
from abm_tui.cli.common import check_plan_argument


def date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date such as 2026-11-20, got {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from abm_tui.plan.model import FLOW_DIMENSIONS

    parser.add_argument("plan", help="plan file (.toml); its [history] folder holds the snapshots")
    parser.add_argument("--from", dest="start", type=date, help="start date (default: 13 weeks before --to)")
    parser.add_argument("--to", dest="end", type=date, help="end date (default: the newest snapshot)")
    parser.add_argument("--by", choices=FLOW_DIMENSIONS, default="segment",
                        help="one row per segment (default), tier, stage, bucket or play")
    parser.add_argument("--format", choices=("markdown", "csv"), default="markdown")
    parser.add_argument("--out", help="also write review.md and review.csv into this folder")


def run(args: argparse.Namespace) -> int:
    from abm_tui.history.review import review_csv, review_markdown, review_plan, write_review
    from abm_tui.plan.parse import load_plan
    from abm_tui.plan.paths import input_paths

    plan = load_plan(check_plan_argument(args.plan))
    result = review_plan(plan, args.start, args.end, args.by)
    text = review_markdown(result) if args.format == "markdown" else review_csv(result)
    sys.stdout.write(text.rstrip("\n") + "\n")
    if args.out:
        for path in write_review(result, Path(args.out), input_paths(plan, Path(args.plan))):
            print(f"wrote {path}", file=sys.stderr)
    return 0


COMMAND = Command(
    "review",
    "The quarterly review from the plan's history: per segment, the accounts at the start, stage progress, "
    "opportunities opened, won and lost, pipeline, conversion.",
    add_arguments,
    run,
)
