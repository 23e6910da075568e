"""`abm-tui deck PLAN [--out DIR]`: the planning deck, one HTML page and the same as Markdown with SVG charts.

Standard library only at the top, so `abm-tui --help` stays instant; the pipeline and matplotlib (through
abm_tui.outputs.deck) are imported in `run`, so no other command pays for them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from abm_tui.cli.command import Command
from abm_tui.cli.common import open_session

NAME = "deck"
DESCRIPTION = ("Write the planning deck: deck.html (one self-contained page, charts inlined) and deck.md with its "
               "charts/*.svg: the Tier x Stage heat map with the change against the last snapshot, segment sizes "
               "over the snapshots, the review's conversion per segment, the ICP lift bars and the plays per cell.")
OUTCOMES = ("won", "opportunity")  # abm_tui.engine.outcomes.outcome.Outcome, spelled here to keep --help cheap


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan", help="plan file (.toml); its [history] folder's snapshots give the change, the sizes "
                        "and the conversion")
    parser.add_argument("--out", help="folder to write the deck into (default: deck/ beside the plan); files there "
                        "that the deck did not write are never replaced")
    parser.add_argument("--outcome", choices=OUTCOMES, default="won",
                        help="the outcome of the ICP lift bars, as in `abm-tui icp` (default won)")


def run(args: argparse.Namespace) -> int:
    from abm_tui.engine.outcomes.outcome import Outcome
    from abm_tui.outputs.deck.content import deck_blocks
    from abm_tui.outputs.deck.data import gather_deck
    from abm_tui.outputs.deck.folder import write_deck
    from abm_tui.plan.paths import input_paths

    session = open_session(args.plan)
    plan_path = Path(args.plan)
    out_dir = Path(args.out) if args.out else plan_path.resolve().parent / "deck"
    data = gather_deck(session, Outcome(args.outcome))
    for path in write_deck(deck_blocks(data), out_dir, input_paths(session.plan, plan_path)):
        print(f"wrote {path}")
    for missing in data.missing:
        print(f"not in the deck: {missing.part}: {missing.reason}")
    return 0


COMMAND = Command(NAME, DESCRIPTION, add_arguments, run)
