"""Contacts in: 5,000,000 people over 1,000,000 accounts loaded, matched and classified, against a plain Polars
read of the same contacts file (issue 17's bar: within 3x).

The contacts file is a HubSpot-shaped CSV: 60% of rows name their account by id, the rest by the email's domain
(a few at gmail.com, matched by company name), titles drawn from tests/data/titles.csv with seniority prefixes
and region suffixes (a few thousand distinct, as real lists have). abm-tui's side is `load_contacts` (read, map,
clean, repeated emails, match, titles) and `committee_columns` (personas and the per-account counts); the
accounts are loaded once beforehand, as a session has them. Medians of alternating rounds in one process.

    .venv/bin/python benchmarks/bench_contacts.py                        # 5,000,000 over 1,000,000, 3 rounds
    .venv/bin/python benchmarks/bench_contacts.py --contacts 500000 --accounts 100000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from abm_tui.engine.committee import committee_columns
from abm_tui.ingest.contacts import load_contacts
from abm_tui.ingest.load import load_accounts

TITLES = Path(__file__).resolve().parents[1] / "tests" / "data" / "titles.csv"
PREFIXES = ["", "", "", "Sr. ", "Senior ", "Global ", "Interim ", "Associate "]
SUFFIXES = ["", "", "", ", EMEA", " - North America", " (DACH)", " | APAC", ", Enterprise"]
FIRST = ["James", "Maria", "Wei", "Priya", "Lukas", "Camille", "Carlos", "Emma", "Omar", "Yuki", "Noah", "Ana"]
LAST = ["Smith", "Garcia", "Chen", "Patel", "Müller", "Martin", "López", "Brown", "Kim", "Rossi", "Silva", "Ng"]


def write_files(folder: Path, accounts: int, contacts: int, seed: int = 7) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    ids = pl.int_range(1, accounts + 1, eager=True).cast(pl.String).str.zfill(7)
    frame = pl.DataFrame({"account_id": "A" + ids, "name": "Company " + ids, "domain": "company" + ids + ".com"})
    accounts_path = folder / "accounts.csv"
    frame.write_csv(accounts_path)
    row = pl.Series(rng.integers(0, accounts, contacts))
    titles = pl.read_csv(TITLES, infer_schema=False).get_column("title")
    title = (pl.Series(PREFIXES).gather(rng.integers(0, len(PREFIXES), contacts))
             + titles.gather(rng.integers(0, titles.len(), contacts))
             + pl.Series(SUFFIXES).gather(rng.integers(0, len(SUFFIXES), contacts)))
    first = pl.Series(FIRST).gather(rng.integers(0, len(FIRST), contacts))
    last = pl.Series(LAST).gather(rng.integers(0, len(LAST), contacts))
    n = pl.int_range(contacts, eager=True).cast(pl.String)
    gmail = pl.Series(rng.random(contacts) < 0.03)
    domain = frame.get_column("domain").gather(row)
    people = pl.DataFrame({
        "Record ID": n,
        "First Name": first,
        "Last Name": last,
        "Email": pl.select(pl.when(gmail).then(n + pl.lit("@gmail.com")).otherwise(
            first.str.to_lowercase() + "." + n + "@" + domain)).to_series(),
        "Job Title": title,
        "Associated Company ID": pl.select(pl.when(pl.Series(rng.random(contacts) < 0.6))
                                           .then(frame.get_column("account_id").gather(row))).to_series(),
        "Company Name": frame.get_column("name").gather(row),
    })
    contacts_path = folder / "contacts.csv"
    people.write_csv(contacts_path)
    return accounts_path, contacts_path


def timed(work: object) -> float:
    started = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        accounts_path, contacts_path = write_files(Path(tmp), args.accounts, args.contacts)
        accounts = load_accounts(accounts_path).frame
        size = contacts_path.stat().st_size

        def ours() -> None:
            contacts = load_contacts(contacts_path, accounts)
            committee_columns(contacts.frame, accounts.height)

        plain, mine = [], []
        for _ in range(args.rounds):
            plain.append(timed(lambda: pl.read_csv(contacts_path)))
            mine.append(timed(ours))
        report = load_contacts(contacts_path, accounts).report
        p, o = statistics.median(plain), statistics.median(mine)
        print(f"{args.contacts:,} contacts ({size / 1e6:.0f} MB) over {args.accounts:,} accounts; "
              f"matched {report.match.matched:,}")
        print(f"plain pl.read_csv {p:.2f} s; load, match, classify and committee {o:.2f} s; ratio {o / p:.2f}x "
              f"(bar: 3x)")


if __name__ == "__main__":
    main()
