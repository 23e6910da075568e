"""`abm-tui [PLAN]`: open the workbench on a plan, or on the bundled demo when none is given."""

from __future__ import annotations

import argparse
import os
import sys

from abm_tui.cli.command import Command, UsageError
from abm_tui.cli.common import check_plan_argument


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan", nargs="?", help="plan file to open (default: the bundled demo)")
    parser.add_argument("--read-only", action="store_true",
                        help="open the plan to look at: edits, saving, exporting and autosave are off (what "
                        "`abm-tui serve --read-only` serves)")


def run(args: argparse.Namespace) -> int:
    from abm_tui.onboarding.bundled import demo_plan
    from abm_tui.plan.parse import load_plan

    path = check_plan_argument(args.plan) if args.plan else demo_plan()
    load_plan(path)  # a bad plan fails here, before the terminal is taken over
    if not _on_a_terminal():
        shown = args.plan or "PLAN"
        raise UsageError(f"the workbench needs a terminal; to segment and write the exports without one: "
                         f"abm-tui run {shown}")
    from abm_tui.tui.app import run_app

    return run_app(path, writable=args.plan is not None, read_only=args.read_only)


def _on_a_terminal() -> bool:
    """Both ends at a terminal (a scheduler, a pipe or a closed stdin would get escape codes nobody reads), or a
    Textual driver that brings its own screen: textual-serve names its browser driver in TEXTUAL_DRIVER and talks
    to the workbench through pipes (`abm-tui serve`)."""
    if os.environ.get("TEXTUAL_DRIVER"):
        return True
    return all(stream is not None and stream.isatty() for stream in (sys.stdin, sys.stdout))


COMMAND = Command("", "Account-Based Marketing segmentation workbench.", add_arguments, run)
