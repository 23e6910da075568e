"""The `abm-tui` command: the contract in DESIGN.md, for planners and their schedulers.

Exit status: 0 done, 1 bad input (one message, never a traceback), 2 bad usage. Textual is
imported only when the workbench opens, so headless commands start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from abm_tui import __version__
from abm_tui.core.errors import AbmError

COMMANDS = ("run", "matrix", "validate", "explain", "demo")
# In the design's contract but not built yet: said plainly rather than mistaken for a plan file.
PLANNED = {"init": "issue 5", "export": "issue 5", "diff": "issue 6", "review": "issue 6"}
FORMATS = ("table", "csv", "json")


def _parsers() -> dict[str, argparse.ArgumentParser]:
    top = argparse.ArgumentParser(
        prog="abm-tui",
        description="Account-Based Marketing segmentation workbench. Commands: "
        + ", ".join(COMMANDS)
        + " (abm-tui COMMAND --help).",
    )
    top.add_argument("plan", nargs="?", help="plan file to open (default: the bundled demo)")
    top.add_argument("--version", action="version", version=f"abm-tui {__version__}")
    sub = {
        "run": argparse.ArgumentParser(prog="abm-tui run", description="Segment and write the exports."),
        "matrix": argparse.ArgumentParser(prog="abm-tui matrix", description="Print the segment matrix."),
        "validate": argparse.ArgumentParser(prog="abm-tui validate", description="Check the plan and its data."),
        "explain": argparse.ArgumentParser(prog="abm-tui explain", description="Why an account sits where it does."),
        "demo": argparse.ArgumentParser(prog="abm-tui demo", description="Write a synthetic demo set."),
    }
    for name in ("run", "matrix", "validate", "explain"):
        sub[name].add_argument("plan", help="plan file (.toml)")
    sub["run"].add_argument("--out", help="output folder (default: exports/ beside the plan)")
    sub["matrix"].add_argument("--rows", default="tier", help="tier, stage, bucket, play or a column (default tier)")
    sub["matrix"].add_argument("--cols", default="stage", help="tier, stage, bucket, play or a column (default stage)")
    sub["matrix"].add_argument("--format", choices=FORMATS, default="table")
    sub["matrix"].add_argument(
        "--measure", help="sum this column per cell instead of counting, e.g. opportunity_amount"
    )
    sub["explain"].add_argument("account_id")
    sub["demo"].add_argument("--accounts", type=int, required=True, help="number of accounts")
    sub["demo"].add_argument("--out", required=True, help="folder to write accounts.csv, engagement.parquet, plan.toml")
    sub["demo"].add_argument("--seed", type=int, default=7)
    sub["demo"].add_argument("--events", type=int, help="number of engagement rows (default 20 per account)")
    sub["demo"].add_argument("--force", action="store_true", help="replace demo files already in --out")
    return {"": top, **sub}


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parsers = _parsers()
    command = args_list[0] if args_list and args_list[0] in COMMANDS else ""
    if args_list and args_list[0] in PLANNED:
        print(
            f"abm-tui: '{args_list[0]}' is part of the design but not built yet ({PLANNED[args_list[0]]})",
            file=sys.stderr,
        )
        return 2
    args = parsers[command].parse_args(args_list[1:] if command else args_list)
    try:
        status = HANDLERS[command](args)
        sys.stdout.flush()
        return status
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


def _open(plan_path: str):  # noqa: ANN202 - Session, imported late to keep --help instant
    from abm_tui.core.session import Session

    return Session.open(plan_path)


def _workbench(args: argparse.Namespace) -> int:
    from abm_tui.core.bundled import demo_plan
    from abm_tui.core.plan import load_plan

    path = Path(args.plan) if args.plan else demo_plan()
    load_plan(path)  # a bad plan fails here, before the terminal is taken over
    from abm_tui.tui.app import run_app

    return run_app(path, writable=args.plan is not None)


def _run(args: argparse.Namespace) -> int:
    from abm_tui.core.export import run_exports

    started = time.perf_counter()
    plan_path = Path(args.plan)
    session = _open(args.plan)
    out_dir = Path(args.out) if args.out else plan_path.resolve().parent / "exports"
    print(f"{session.plan.name} (as of {session.as_of.isoformat()})")
    print("\n".join(session.report.summary()))
    matrix = session.matrix()
    written = run_exports(session.assignments(), matrix, session.plan, out_dir, plan_path)
    print()
    print(format_table(matrix))
    print()
    for path in written:
        print(f"wrote {path}")
    print(f"done in {time.perf_counter() - started:.2f} s")
    return 0


def _matrix(args: argparse.Namespace) -> int:
    from abm_tui.core.export import matrix_csv, matrix_json

    session = _open(args.plan)
    matrix = session.matrix(args.rows, args.cols, args.measure)
    render = {"table": format_table, "csv": matrix_csv, "json": matrix_json}[args.format]
    sys.stdout.write(render(matrix).rstrip("\n") + "\n")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from abm_tui.core.errors import PlanError
    from abm_tui.core.ingest import listed

    try:
        session = _open(args.plan)
    except PlanError as err:
        print(f"abm-tui: {err}", file=sys.stderr)
        return 1
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


def _explain(args: argparse.Namespace) -> int:
    print(_open(args.plan).explain(args.account_id))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from abm_tui.core.demo import write_demo

    if args.accounts < 1:
        raise AbmError(f"--accounts: expected a whole number of at least 1, got {args.accounts}")
    if args.events is not None and args.events < 0:
        raise AbmError(f"--events: expected a whole number of at least 0, got {args.events}")
    started = time.perf_counter()
    written = write_demo(Path(args.out), args.accounts, args.events, args.seed, force=args.force)
    for path in written:
        print(f"wrote {path}")
    print(f"done in {time.perf_counter() - started:.1f} s; open it with: abm-tui {written[-1]}")
    return 0


def format_table(matrix) -> str:  # noqa: ANN001 - a Matrix; kept free of imports for startup time
    """The matrix as aligned text, with row and column totals."""
    cols = list(matrix.cols) + ["Total"]
    rows = list(matrix.rows) + ["Total"]
    values = matrix.values
    grid = [[*row, row.sum()] for row in values] + [[*values.sum(axis=0), values.sum()]]
    fmt = "{:,.0f}".format
    head = f"{matrix.row_dim} \\ {matrix.col_dim}"
    first = max(len(head), *(len(r) for r in rows))
    widths = [max(len(c), *(len(fmt(line[j])) for line in grid)) for j, c in enumerate(cols)]
    lines = [head.ljust(first) + "  " + "  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True))]
    for label, line in zip(rows, grid, strict=True):
        lines.append(label.ljust(first) + "  " + "  ".join(fmt(v).rjust(w) for v, w in zip(line, widths, strict=True)))
    if matrix.measure != "count":
        lines.append(f"(sum of {matrix.measure})")
    return "\n".join(lines)


HANDLERS = {"": _workbench, "run": _run, "matrix": _matrix, "validate": _validate, "explain": _explain, "demo": _demo}


if __name__ == "__main__":
    sys.exit(main())
