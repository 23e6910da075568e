"""`abm-tui init ACCOUNTS`: start a plan from a planner's own accounts export.

Each flag is one keyword of `write_starter`: a new option is one `add_argument` line here and one
keyword in `run`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from abm_tui.cli.command import Command
from abm_tui.cli.common import check_data_argument, format_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from abm_tui.plan.model import PRESETS

    parser.add_argument("accounts", help="accounts file: CSV, TSV, Excel, Parquet or NDJSON")
    parser.add_argument("--engagement", help="engagement file (events, or a LinkedIn company report)")
    parser.add_argument("--contacts", help="contacts file (a HubSpot contacts export, a Salesforce contact report, "
                        "or any table of people with an email, title and company)")
    parser.add_argument("--out", help="plan file to write (default: plan.toml beside the accounts file)")
    parser.add_argument("--preset", choices=PRESETS, default="auto",
                        help="the accounts file's layout (default: detect it)")
    parser.add_argument("--sheet", help="the workbook sheet to read (default: the first)")
    parser.add_argument("--name", help="the plan's name (default: from the file name)")
    parser.add_argument("--force", action="store_true", help="replace the plan file if it exists")
    parser.add_argument("--id", dest="id_column", metavar="COLUMN",
                        help="the column naming each account (default: the layout's id, else a unique one)")


def run(args: argparse.Namespace) -> int:
    from abm_tui.onboarding.init import write_starter

    accounts = check_data_argument(args.accounts, "an accounts file")
    engagement = check_data_argument(args.engagement, "an engagement file") if args.engagement else None
    contacts = check_data_argument(args.contacts, "a contacts file") if args.contacts else None
    out = Path(args.out) if args.out else accounts.resolve().parent / "plan.toml"
    result = write_starter(accounts, engagement, out, preset=args.preset, sheet=args.sheet, name=args.name,
                           force=args.force, id_column=args.id_column, contacts=contacts)
    print("\n".join(result.report.summary()))
    print()
    print("\n".join(result.findings))
    print()
    print(format_table(result.matrix))
    print(f"\nwrote {result.path}; open it with: abm-tui {result.path}")
    return 0


COMMAND = Command(
    "init",
    "Start a plan from your own accounts export (HubSpot, Salesforce, LinkedIn or any table): detect the layout, "
    "map the columns, set thresholds from the data.",
    add_arguments,
    run,
)
