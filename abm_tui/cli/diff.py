"""`abm-tui diff A B`: what moved between two snapshots, a snapshot and a plan, or two plans, and why."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from abm_tui.cli.command import Command
from abm_tui.cli.common import check_range
from abm_tui.cli.matrix import FORMATS

if TYPE_CHECKING:
    from abm_tui.history.diff import Diff

MAX_LIMIT = 1_000_000_000  # more accounts than any list holds; a bigger number is a typo


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from abm_tui.plan.model import FLOW_DIMENSIONS

    parser.add_argument("a", help="the earlier side: a snapshot (.parquet) or a plan (.toml)")
    parser.add_argument("b", help="the later side: a snapshot (.parquet) or a plan (.toml)")
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="table (for people), csv (one row per account that changed) or json")
    parser.add_argument("--by", choices=FLOW_DIMENSIONS, default="segment",
                        help="group the moves by this (default segment)")
    parser.add_argument("--limit", type=int, default=20, help="accounts listed in the table (default 20)")


def run(args: argparse.Namespace) -> int:
    from abm_tui.history.diff import diff

    check_range("--limit", args.limit, 0, MAX_LIMIT)
    result = diff(Path(args.a), Path(args.b))
    render = {"table": _table, "csv": _csv, "json": _json}[args.format]
    sys.stdout.write(render(result, args).rstrip("\n") + "\n")
    return 0


def _csv(result: Diff, _: argparse.Namespace) -> str:
    """One row per account that changed, formula-safe as every CSV the tool writes."""
    from abm_tui.files import spreadsheet_safe
    from abm_tui.history.movement import changes_frame

    return spreadsheet_safe(changes_frame(result.movement)).write_csv()


def _table(result: Diff, args: argparse.Namespace) -> str:
    from abm_tui.history.movement import changes_frame, summary
    from abm_tui.plan.changes import describe_changes

    movement = result.movement
    lines = [summary(movement, "what moved", by=args.by)]
    if result.changes:
        lines += ["", "plan changes:", describe_changes(result.changes)]
    lines += [f"note: {note}" for note in result.notes]
    changed = changes_frame(movement)
    shown = changed.head(args.limit)
    if shown.height:
        lines += ["", f"accounts ({shown.height:,} of {changed.height:,}; --format csv lists all):"]
        lines += [f"  {_who(row['account_id'], row['name'])}: {row['reason']}" for row in shown.iter_rows(named=True)]
    return "\n".join(lines)


def _who(account_id: str, name: str | None) -> str:
    """`A000011  Brixsaexa`, or the id alone when the id is the name (a list keyed by company name)."""
    return account_id if not name or name == account_id else f"{account_id}  {name}"


def _json(result: Diff, args: argparse.Namespace) -> str:
    import json

    from abm_tui.history.movement import ENTERED, LEFT, MOVED, changes_frame

    movement = result.movement
    document = {
        "before": movement.before, "after": movement.after, "accounts": movement.accounts.height,
        "moved": movement.count(MOVED), "entered": movement.count(ENTERED), "left": movement.count(LEFT),
        "by": args.by, "flows": movement.flows(args.by).to_dicts(),
        "plan_changes": [{"section": c.section, "rule": c.rule, "text": c.text} for c in result.changes],
        "notes": list(result.notes), "changes": changes_frame(movement).to_dicts(),
    }
    return json.dumps(document, indent=2, default=str)


COMMAND = Command(
    "diff",
    "What moved between two snapshots (history/*.parquet), a snapshot and a plan now (SNAPSHOT PLAN), or two "
    "plans on the same data (PLAN_A PLAN_B), and why.",
    add_arguments,
    run,
)
