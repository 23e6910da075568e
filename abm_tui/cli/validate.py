"""`abm-tui validate PLAN`: check the plan against its data; every problem listed, exit 1 if any."""

from __future__ import annotations

import argparse
import sys

from abm_tui.cli.command import Command
from abm_tui.cli.common import open_session


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan", help="plan file (.toml)")


def run(args: argparse.Namespace) -> int:
    from abm_tui.errors import PlanError
    from abm_tui.ingest.load import listed

    try:
        session = open_session(args.plan)
    except PlanError as err:
        print(f"abm-tui: {err}", file=sys.stderr)
        return 1
    session.check_publishable()  # what run would refuse, a check before the run refuses it
    report = session.report
    print("\n".join(report.summary()))
    for line in listed(report.dropped):
        print(f"  dropped {line}")
    plan = session.plan
    print(
        f"plan {plan.name!r} is valid: {len(plan.criteria)} fit criteria, {len(plan.tiers)} tiers, "
        f"{len(plan.stages)} stages, {len(plan.buckets)} buckets, {len(plan.plays)} plays; "
        f"as of {session.as_of.isoformat()}"
    )
    return 0


COMMAND = Command("validate", "Check the plan and its data.", add_arguments, run)
