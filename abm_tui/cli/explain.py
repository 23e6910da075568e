"""`abm-tui explain PLAN ACCOUNT_ID`: why one account sits where it does, rule by rule."""

from __future__ import annotations

import argparse

from abm_tui.cli.command import Command
from abm_tui.cli.common import open_session


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan", help="plan file (.toml)")
    parser.add_argument("account_id")


def run(args: argparse.Namespace) -> int:
    print(open_session(args.plan).explain(args.account_id))
    return 0


COMMAND = Command("explain", "Why an account sits where it does.", add_arguments, run)
