"""The `abm-tui` command: the contract in DESIGN.md, for planners and their schedulers.

Exit status: 0 done, 1 bad input (one message, never a traceback), 2 bad usage. Textual is
imported only when the workbench opens, so headless commands start fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from abm_tui import __version__
from abm_tui.errors import AbmError
from abm_tui.plan.model import DESTINATIONS, FLOW_DIMENSIONS  # the model is standard library only: cheap to import

COMMANDS = ("run", "matrix", "validate", "explain", "demo", "init", "export", "diff", "review")
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
        "init": argparse.ArgumentParser(
            prog="abm-tui init", description="Start a plan from your own accounts export (HubSpot, Salesforce, "
            "LinkedIn or any table): detect the layout, map the columns, set thresholds from the data."),
        "export": argparse.ArgumentParser(
            prog="abm-tui export", description="Write the segments in the form a CRM or ad platform imports."),
        "review": argparse.ArgumentParser(
            prog="abm-tui review", description="The quarterly review from the plan's history: per segment, the "
            "accounts at the start, stage progress, opportunities opened, won and lost, pipeline, conversion."),
        "diff": argparse.ArgumentParser(
            prog="abm-tui diff", description="What moved between two snapshots (history/*.parquet), a snapshot and a "
            "plan now (SNAPSHOT PLAN), or two plans on the same data (PLAN_A PLAN_B), and why."),
    }
    for name in ("run", "matrix", "validate", "explain", "export"):
        sub[name].add_argument("plan", help="plan file (.toml)")
    sub["run"].add_argument("--out", help="output folder (default: exports/ beside the plan)")
    sub["run"].add_argument("--no-history", action="store_true",
                            help="do not keep this run's snapshot in the plan's history folder (a trial run)")
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
    sub["demo"].add_argument("--layout", choices=("canonical", "hubspot", "salesforce"), default="canonical",
                             help="write the accounts as that CRM exports them (default: canonical columns)")
    sub["init"].add_argument("accounts", help="accounts file: CSV, TSV, Excel, Parquet or NDJSON")
    sub["init"].add_argument("--engagement", help="engagement file (events, or a LinkedIn company report)")
    sub["init"].add_argument("--out", help="plan file to write (default: plan.toml beside the accounts file)")
    sub["init"].add_argument("--preset", choices=("auto", "canonical", *DESTINATIONS[:3]), default="auto",
                             help="the accounts file's layout (default: detect it)")
    sub["init"].add_argument("--sheet", help="the workbook sheet to read (default: the first)")
    sub["init"].add_argument("--name", help="the plan's name (default: from the file name)")
    sub["init"].add_argument("--force", action="store_true", help="replace the plan file if it exists")
    sub["init"].add_argument("--id", dest="id_column", metavar="COLUMN",
                             help="the column naming each account (default: the layout's id, else a unique one)")
    sub["export"].add_argument("--to", required=True, type=_destinations,
                               help="hubspot, salesforce, linkedin or sql (several: comma-separated)")
    sub["export"].add_argument("--out", help="output folder (default: exports/ beside the plan)")
    sub["export"].add_argument("--per", choices=("segment", "tier"),
                               help="LinkedIn: one company list per segment or per tier (default: the plan's)")
    sub["review"].add_argument("plan", help="plan file (.toml); its [history] folder holds the snapshots")
    sub["review"].add_argument("--from", dest="start", type=_date, help="start date (default: 13 weeks before --to)")
    sub["review"].add_argument("--to", dest="end", type=_date, help="end date (default: the newest snapshot)")
    sub["review"].add_argument("--by", choices=FLOW_DIMENSIONS, default="segment",
                               help="one row per segment (default), tier, stage, bucket or play")
    sub["review"].add_argument("--format", choices=("markdown", "csv"), default="markdown")
    sub["review"].add_argument("--out", help="also write review.md and review.csv into this folder")
    sub["diff"].add_argument("a", help="the earlier side: a snapshot (.parquet) or a plan (.toml)")
    sub["diff"].add_argument("b", help="the later side: a snapshot (.parquet) or a plan (.toml)")
    sub["diff"].add_argument("--format", choices=FORMATS, default="table",
                             help="table (for people), csv (one row per account that changed) or json")
    sub["diff"].add_argument("--by", choices=FLOW_DIMENSIONS, default="segment",
                             help="group the moves by this (default segment)")
    sub["diff"].add_argument("--limit", type=int, default=20, help="accounts listed in the table (default 20)")
    return {"": top, **sub}


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date such as 2026-11-20, got {text!r}") from None


def _destinations(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [name for name in names if name not in DESTINATIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"expected {', '.join(DESTINATIONS)} (comma-separated), got {text!r}")
    return names


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parsers = _parsers()
    command = args_list[0] if args_list and args_list[0] in COMMANDS else ""
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
    from abm_tui.session import Session

    return Session.open(plan_path)


def _workbench(args: argparse.Namespace) -> int:
    from abm_tui.onboarding.bundled import demo_plan
    from abm_tui.plan.parse import load_plan

    path = Path(args.plan) if args.plan else demo_plan()
    load_plan(path)  # a bad plan fails here, before the terminal is taken over
    from abm_tui.tui.app import run_app

    return run_app(path, writable=args.plan is not None)


def _run(args: argparse.Namespace) -> int:
    from abm_tui.outputs.run_files import RUN_FILES

    started = time.perf_counter()
    plan_path = Path(args.plan)
    session = _open(args.plan)
    print(f"{session.plan.name} (as of {session.as_of.isoformat()})")
    print("\n".join(session.report.summary()))
    matrix = session.matrix()
    print()
    print(format_table(matrix))
    print()
    _publish(session, _out_dir(args, plan_path), plan_path, RUN_FILES, session.plan.export.to, matrix,
             keep_history=not args.no_history)
    print(f"done in {time.perf_counter() - started:.2f} s")
    return 0


def _out_dir(args: argparse.Namespace, plan_path: Path) -> Path:
    return Path(args.out) if args.out else plan_path.resolve().parent / "exports"


def _publish(session, out_dir: Path, plan_path: Path, run_files: tuple[str, ...],  # noqa: ANN001 - a Session
             destinations: tuple[str, ...], matrix=None, keep_history: bool = False) -> None:  # noqa: ANN001
    from abm_tui.outputs.destinations import ExportContext
    from abm_tui.outputs.publish import publish

    context = ExportContext.of(session, plan_path)
    matrix = session.matrix() if matrix is None else matrix
    published = publish(context, matrix, session.report, out_dir, plan_path, run_files,
                        destinations, history=session if keep_history else None)
    for path in (*published.files, published.manifest):
        print(f"wrote {path}")
    for line in (*(f"warning: {w}" for w in published.warnings), *published.notes):
        print(line)
    if published.movement:
        print()
        print(published.movement)


def _export(args: argparse.Namespace) -> int:
    from dataclasses import replace

    plan_path = Path(args.plan)
    session = _open(args.plan)
    if args.per:
        session.apply(replace(session.plan, export=replace(session.plan.export, linkedin_per=args.per)))
    print(f"{session.plan.name} (as of {session.as_of.isoformat()})")
    print("\n".join(session.report.summary()))
    _publish(session, _out_dir(args, plan_path), plan_path, (), args.to)
    return 0


def _init(args: argparse.Namespace) -> int:
    from abm_tui.onboarding.init import write_starter

    accounts = Path(args.accounts)
    engagement = Path(args.engagement) if args.engagement else None
    out = Path(args.out) if args.out else accounts.resolve().parent / "plan.toml"
    result = write_starter(accounts, engagement, out, preset=args.preset, sheet=args.sheet, name=args.name,
                           force=args.force, id_column=args.id_column)
    print("\n".join(result.report.summary()))
    print()
    print("\n".join(result.findings))
    print()
    print(format_table(result.matrix))
    print(f"\nwrote {result.path}; open it with: abm-tui {result.path}")
    return 0


def _matrix(args: argparse.Namespace) -> int:
    from abm_tui.outputs.run_files import matrix_csv, matrix_json

    session = _open(args.plan)
    matrix = session.matrix(args.rows, args.cols, args.measure)
    render = {"table": format_table, "csv": matrix_csv, "json": matrix_json}[args.format]
    sys.stdout.write(render(matrix).rstrip("\n") + "\n")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from abm_tui.errors import PlanError
    from abm_tui.ingest.load import listed

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
    from abm_tui.onboarding.demo import write_demo

    if args.accounts < 1:
        raise AbmError(f"--accounts: expected a whole number of at least 1, got {args.accounts}")
    if args.events is not None and args.events < 0:
        raise AbmError(f"--events: expected a whole number of at least 0, got {args.events}")
    started = time.perf_counter()
    written = write_demo(Path(args.out), args.accounts, args.events, args.seed, force=args.force, layout=args.layout)
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


def _review(args: argparse.Namespace) -> int:
    from abm_tui.history.review import review_csv, review_markdown, review_plan, write_review
    from abm_tui.plan.parse import load_plan
    from abm_tui.plan.paths import input_paths

    plan = load_plan(args.plan)
    result = review_plan(plan, args.start, args.end, args.by)
    text = review_markdown(result) if args.format == "markdown" else review_csv(result)
    sys.stdout.write(text.rstrip("\n") + "\n")
    if args.out:
        for path in write_review(result, Path(args.out), input_paths(plan, Path(args.plan))):
            print(f"wrote {path}", file=sys.stderr)
    return 0


def _diff(args: argparse.Namespace) -> int:
    from abm_tui.history.diff import diff
    from abm_tui.history.movement import changes_frame

    result = diff(Path(args.a), Path(args.b))
    render = {"table": _diff_table, "csv": lambda r, _: _csv(changes_frame(r.movement)), "json": _diff_json}
    sys.stdout.write(render[args.format](result, args).rstrip("\n") + "\n")
    return 0


def _csv(frame) -> str:  # noqa: ANN001 - a DataFrame, as the export module writes it
    from abm_tui.files import spreadsheet_safe

    return spreadsheet_safe(frame).write_csv()


def _diff_table(result, args: argparse.Namespace) -> str:  # noqa: ANN001 - a Diff
    from abm_tui.history.movement import changes_frame, summary
    from abm_tui.plan.changes import describe_changes

    movement = result.movement
    lines = [summary(movement, "what moved", by=args.by)]
    if result.changes:
        lines += ["", "plan changes:", describe_changes(result.changes)]
    lines += [f"note: {note}" for note in result.notes]
    changed = changes_frame(movement)
    shown = changed.head(max(args.limit, 0))
    if shown.height:
        lines += ["", f"accounts ({shown.height:,} of {changed.height:,}; --format csv lists all):"]
        lines += [f"  {_who(row['account_id'], row['name'])}: {row['reason']}" for row in shown.iter_rows(named=True)]
    return "\n".join(lines)


def _who(account_id: str, name: str | None) -> str:
    """`A000011  Brixsaexa`, or the id alone when the id is the name (a list keyed by company name)."""
    return account_id if not name or name == account_id else f"{account_id}  {name}"


def _diff_json(result, args: argparse.Namespace) -> str:  # noqa: ANN001 - a Diff
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


HANDLERS = {
    "": _workbench, "run": _run, "matrix": _matrix, "validate": _validate, "explain": _explain, "demo": _demo,
    "init": _init, "export": _export, "diff": _diff, "review": _review,
}


if __name__ == "__main__":
    sys.exit(main())
