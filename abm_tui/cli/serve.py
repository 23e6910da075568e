"""`abm-tui serve [PLAN] [--host 127.0.0.1] [--port 8000] [--read-only]`: the workbench in a browser, for a planning
session shared with sales.

Every browser tab runs `abm-tui [--read-only] [PLAN]` of its own (textual-serve starts it and relays its screen),
so the page is the same app with the same keys, and one viewer's pivot never moves another's matrix. The plan is
read once here first, so a plan that does not load is one line before anything listens, not an error in each tab.
Standard library only at the top: aiohttp and textual-serve are imported in `run`.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from abm_tui.cli.command import Command
from abm_tui.cli.common import check_plan_argument, check_range

NAME = "serve"
DESCRIPTION = ("Open the workbench in a browser (the same app, the same keys), for a screen share or a colleague on "
               "the same network. Listens on 127.0.0.1 unless --host says otherwise; on any other address the "
               "printed link carries a token, and requests without it are refused.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan", nargs="?", help="plan file to open (default: the bundled demo)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only); 0.0.0.0 listens on "
                        "every interface, and any address but loopback needs the token of the printed link")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000; 0 picks a free one)")
    parser.add_argument("--read-only", action="store_true",
                        help="for sales to look without changing the plan: edits, saving, exporting and autosave "
                        "are off in every tab")


def run(args: argparse.Namespace) -> int:
    from abm_tui.onboarding.bundled import demo_plan
    from abm_tui.plan.parse import load_plan

    check_range("--port", args.port, 0, 65535)
    path = check_plan_argument(args.plan).resolve() if args.plan else demo_plan()
    plan = load_plan(path)
    from abm_tui.tui.serve import is_loopback, link, new_token, serve

    token = None if is_loopback(args.host) else new_token()
    # The demo is opened as `abm-tui` opens it, by naming no plan: then the workbench saves it elsewhere.
    command = shlex.join([sys.executable, "-m", "abm_tui.cli", *(["--read-only"] if args.read_only else []),
                          *([str(path)] if args.plan else [])])

    def listening(port: int) -> None:
        mode = " read-only" if args.read_only else ""
        print(f"serving {plan.name} ({path}){mode} at {link(args.host, port, token)}")
        if token is not None:
            print(f"listening on {args.host}:{port}, open to the network: the link's token is printed only here "
                  "and requests without it are refused; share the link only with the people in the session")
        print("every browser tab opens a workbench of its own; ctrl+c stops serving", flush=True)

    serve(command, title=f"abm-tui: {plan.name}", host=args.host, port=args.port, token=token, listening=listening)
    return 0


COMMAND = Command(NAME, DESCRIPTION, add_arguments, run)
