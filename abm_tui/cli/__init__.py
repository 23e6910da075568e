"""The `abm-tui` command: the contract in DESIGN.md, for planners and their schedulers.

One module per command (each defines a `COMMAND`), listed once in `COMMANDS`. Exit status: 0 done,
1 bad input (one message, never a traceback), 2 bad usage. Textual is imported only when the
workbench opens, so headless commands start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from abm_tui.cli import deck, demo, diff, explain, export, icp, init, matrix, review, run, serve, validate, workbench
from abm_tui.cli.command import Command, UsageError
from abm_tui.errors import AbmError
from abm_tui.version import __version__

COMMANDS: dict[str, Command] = {
    command.name: command
    for command in (run.COMMAND, matrix.COMMAND, validate.COMMAND, explain.COMMAND, demo.COMMAND, init.COMMAND,
                    export.COMMAND, diff.COMMAND, review.COMMAND, icp.COMMAND, serve.COMMAND, deck.COMMAND)
}


def _top_parser() -> argparse.ArgumentParser:
    """`abm-tui [PLAN]`, whose help names every command."""
    parser = argparse.ArgumentParser(
        prog="abm-tui",
        description=f"{workbench.COMMAND.description} Commands: {', '.join(COMMANDS)} (abm-tui COMMAND --help).",
    )
    workbench.add_arguments(parser)
    parser.add_argument("--version", action="version", version=f"abm-tui {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = COMMANDS.get(args_list[0]) if args_list else None
    if chosen is None:
        command, args = workbench.COMMAND, _top_parser().parse_args(args_list)
    else:
        command, args = chosen, chosen.parser().parse_args(args_list[1:])
    try:
        status = command.run(args)
        sys.stdout.flush()
        return status
    except UsageError as err:
        print(f"abm-tui: {err}", file=sys.stderr)
        return 2
    except AbmError as err:
        print(f"abm-tui: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `abm-tui matrix ... | head`: the reader left; stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as err:  # a bug: say so in one line, keep the traceback for those who ask
        if os.environ.get("ABM_TUI_DEBUG"):
            raise
        print(
            f"abm-tui: internal error ({type(err).__name__}: {err}); rerun with ABM_TUI_DEBUG=1 for details "
            "and please report it",
            file=sys.stderr,
        )
        return 1
