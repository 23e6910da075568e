"""`abm-tui matrix PLAN`: the segment matrix as a table, CSV or JSON, pivoted on any two dimensions."""

from __future__ import annotations

import argparse
import sys

from abm_tui.cli.command import Command
from abm_tui.cli.common import format_table, open_session

FORMATS = ("table", "csv", "json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan", help="plan file (.toml)")
    parser.add_argument("--rows", default="tier", help="tier, stage, bucket, play or a column (default tier)")
    parser.add_argument("--cols", default="stage", help="tier, stage, bucket, play or a column (default stage)")
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument("--measure", help="sum this column per cell instead of counting, e.g. opportunity_amount")


def run(args: argparse.Namespace) -> int:
    from abm_tui.outputs.run_files import matrix_csv, matrix_json

    session = open_session(args.plan)
    matrix = session.matrix(args.rows, args.cols, args.measure)
    render = {"table": format_table, "csv": matrix_csv, "json": matrix_json}[args.format]
    sys.stdout.write(render(matrix).rstrip("\n") + "\n")
    return 0


COMMAND = Command("matrix", "Print the segment matrix.", add_arguments, run)
