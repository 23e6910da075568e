"""`abm-tui export PLAN --to TARGETS`: the segments in the form a CRM or ad platform imports."""

from __future__ import annotations

import argparse
from pathlib import Path

from abm_tui.cli.command import Command
from abm_tui.cli.common import open_publishable, out_dir, publish
from abm_tui.plan.model import DESTINATIONS, LIST_SPLITS, SQL_DIALECTS


def destinations(text: str) -> tuple[str, ...]:
    """`--to hubspot,sql`: known names, each once, in the order given."""
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [name for name in names if name not in DESTINATIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"expected {', '.join(DESTINATIONS)} (comma-separated), got {text!r}")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan", help="plan file (.toml)")
    parser.add_argument("--to", required=True, type=destinations,
                        help="hubspot, salesforce, linkedin or sql (several: comma-separated)")
    parser.add_argument("--out", help="output folder (default: exports/ beside the plan)")
    parser.add_argument("--per", choices=LIST_SPLITS,
                        help="LinkedIn: one company list per segment or per tier (default: the plan's)")
    parser.add_argument("--dialect", choices=SQL_DIALECTS,
                        help="SQL: the warehouse plan.sql and load.sql are written for (default: the plan's "
                             "[export.sql] dialect, else duckdb)")


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    plan_path = Path(args.plan)
    session = open_publishable(args.plan)
    export = session.plan.export
    if args.per or args.dialect:
        session.apply(replace(session.plan, export=replace(export, linkedin_per=args.per or export.linkedin_per,
                                                           sql_dialect=args.dialect or export.sql_dialect)))
    print(f"{session.plan.name} (as of {session.as_of.isoformat()})")
    print("\n".join(session.report.summary()))
    publish(session, out_dir(args, plan_path), plan_path, (), args.to)
    return 0


COMMAND = Command("export", "Write the segments in the form a CRM or ad platform imports.", add_arguments, run)
