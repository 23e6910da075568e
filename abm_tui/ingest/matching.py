"""Tying engagement rows to accounts when ad platforms name companies, not CRM ids.

A row is matched by `account_id`, else by its domain, else by its company name; each key is tried only on the
rows the previous one left, so a file that carries ids costs one join. A domain or name shared by several
accounts is never guessed at: the row is left unmatched and the report says why, with the row as a spreadsheet
counts it, because a wrong match would quietly credit one account with another's engagement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from abm_tui.ingest.cleaning import bare_domain, company_key

NAME_COLUMNS = ("company", "company_name", "name")
_NO_KEY = "no account_id, domain or company name"
_LISTED_REASONS = 10
_SECOND_LEVEL = r"([^.]+\.(?:co|com|net|org|gov|ac|edu|ne|or|go)\.[a-z]{2})$"


@dataclass(frozen=True)
class MatchReport:
    """How the engagement rows found their accounts, for the load summary and the list of rows left out."""

    rows: int
    by_id: int
    by_domain: int
    by_name: int
    unmatched: pl.DataFrame = field(compare=False)

    @property
    def matched(self) -> int:
        return self.by_id + self.by_domain + self.by_name

    @property
    def rate(self) -> float:
        return self.matched / self.rows if self.rows else 1.0

    def summary(self) -> list[str]:
        if not self.rows:
            return ["engagement matched to accounts: no engagement rows"]
        ways = ((self.by_id, "id"), (self.by_domain, "domain"), (self.by_name, "company name"))
        parts = ", ".join(f"{count:,} by {way}" for count, way in ways if count) or "none"
        left = self.rows - self.matched
        # Never round a file with unmatched rows up to 100%.
        percent = min(self.rate * 100, 99.9) if left else 100.0
        head = f"engagement matched to accounts: {percent:.1f}% ({parts})"
        if not left:
            return [head]
        lines = [f"{head}; {left:,} {'row' if left == 1 else 'rows'} unmatched"]
        reasons = (
            self.unmatched.group_by("reason").agg(pl.len().alias("count"), pl.col("row").min())
            .sort(["count", "row"], descending=[True, False])
        )
        lines.extend(
            f"  {count:,} {'row' if count == 1 else 'rows'}: {reason} (first at row {row})"
            for reason, count, row in reasons.head(_LISTED_REASONS).iter_rows()
        )
        if reasons.height > _LISTED_REASONS:
            lines.append(f"  ... and {reasons.height - _LISTED_REASONS:,} other reasons")
        return lines


@dataclass(frozen=True)
class _Key:
    """One way an event row can name a company, compared after the same cleaning on both sides."""

    label: str
    event_column: str
    account_column: str
    clean: Callable[[pl.Expr], pl.Expr]
    explains: bool = True


def _site(column: pl.Expr) -> pl.Expr:
    """`stock.walmart.com` as `walmart.com` (and `shop.acme.co.uk` as `acme.co.uk`): investor-relations and
    regional subdomains in a CRM's Website field still name the same company as the bare domain in an ad export."""
    host = bare_domain(column)
    return pl.coalesce(host.str.extract(_SECOND_LEVEL), host.str.extract(r"([^.]+\.[^.]+)$"))


def match_events(
    accounts: pl.DataFrame, events: pl.DataFrame, first_row: int = 2
) -> tuple[pl.DataFrame, MatchReport]:
    """The matched events in input order with a `_row` column (UInt32: the account's row position in `accounts`),
    and a report that keeps the rows that matched nothing, each with a reason and its spreadsheet row.

    `first_row` is the spreadsheet row of the first event (2 when the header is row 1).
    """
    found = _by_id(accounts, events)
    missing = found.get_column("_row").null_count()
    if not missing:
        return found, MatchReport(events.height, events.height, 0, 0, _unmatched(events.clear(), first_row))
    indexed = found.with_row_index("_ev")
    pending = indexed.filter(pl.col("_row").is_null()).drop("_row").with_columns(_id_reason(events))
    hits: list[pl.DataFrame] = []
    counts = {"domain": 0, "company name": 0}
    for key in _keys(accounts, events):
        pending = _try_key(pending, accounts, key)
        hit = pending.filter(pl.col("_hit").is_not_null()).select("_ev", "_hit")
        counts[key.label] += hit.height
        hits.append(hit)
        pending = pending.filter(pl.col("_hit").is_null()).drop("_hit")
    rows = indexed.get_column("_row")
    if hits:
        placed = pl.concat(hits)
        rows = rows.scatter(placed.get_column("_ev"), placed.get_column("_hit"))
    matched = events.with_columns(rows).filter(pl.col("_row").is_not_null())
    report = MatchReport(
        events.height, events.height - missing, counts["domain"], counts["company name"],
        _unmatched(pending, first_row),
    )
    return matched, report


def _by_id(accounts: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """The events with `_row` from a left join on account_id: the whole cost when every row carries an id.

    Engagement exports list an account's events together, so the ids come in runs: each run's id is joined
    once and its row spread over the run, a join of a million keys instead of twenty million (the plain join
    when runs are short, as in a file shuffled by date).
    """
    if "account_id" not in events.columns or "account_id" not in accounts.columns:
        return events.with_columns(pl.lit(None, pl.UInt32).alias("_row"))
    ids = accounts.select(
        pl.col("account_id").cast(pl.String).alias("_id"), pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row")
    ).unique("_id", keep="first", maintain_order=True)
    key = events.get_column("account_id").cast(pl.String)
    run = key.rle_id()
    if not run.len() or 2 * (run[-1] + 1) > run.len():
        given = pl.col("account_id")
        left_on = given if events.schema["account_id"] == pl.String else given.cast(pl.String)
        joined = events.join(ids, left_on=left_on, right_on="_id", how="left", maintain_order="left")
        return joined.drop("_id", strict=False)
    starts = key.rle().struct.field("value").alias("_id").to_frame()
    rows = starts.join(ids, on="_id", how="left", maintain_order="left").get_column("_row")
    return events.with_columns(rows.gather(run))


def _id_reason(events: pl.DataFrame) -> pl.Expr:
    if "account_id" not in events.columns:
        return pl.lit(None, pl.String).alias("_why")
    given = pl.col("account_id").cast(pl.String).str.strip_chars()
    return pl.when(given != "").then(pl.lit("no account with this account_id")).alias("_why")


def _keys(accounts: pl.DataFrame, events: pl.DataFrame) -> list[_Key]:
    """The domain (exact, then by site), then the first company-name column the events carry.

    `company` comes before `name` because an engagement row's `name` is as often the person as the company.
    """
    keys = []
    if "domain" in events.columns:
        keys += [_Key("domain", "domain", "domain", bare_domain), _Key("domain", "domain", "domain", _site, False)]
    name = next((column for column in NAME_COLUMNS if column in events.columns), None)
    if name:
        keys.append(_Key("company name", name, "name", company_key))
    return keys


def _try_key(pending: pl.DataFrame, accounts: pl.DataFrame, key: _Key) -> pl.DataFrame:
    """`pending` with `_hit` (the account row, when exactly one account has this key) and its reason added.

    Each distinct raw value is cleaned once: engagement files repeat a few thousand companies over millions of rows.
    """
    dtype = accounts.schema.get(key.account_column)
    known = dtype is not None and not dtype.is_nested()  # a name held as a list names no one company
    source = pl.col(key.account_column) if known else pl.lit(None, pl.String)
    owners = (
        accounts.select(key.clean(source).alias("_key"), pl.int_range(pl.len(), dtype=pl.UInt32).alias("_acc"))
        .drop_nulls("_key")
        .group_by("_key")
        .agg(pl.len().alias("_n"), pl.col("_acc").min())
    )
    raw = pl.col(key.event_column).cast(pl.String).alias("_raw")
    lookup = (
        pending.select(raw).unique().drop_nulls()
        .with_columns(key.clean(pl.col("_raw")).alias("_key"))
        .join(owners, on="_key", how="left")
    )
    tried = pending.with_columns(raw).join(lookup, on="_raw", how="left", maintain_order="left")
    absent = (f"no account with this {key.label}" if known else f"the accounts have no {key.account_column} column"
              if dtype is None else f"the accounts' {key.account_column} column holds lists, not one value each")
    reason = (
        pl.when(pl.col("_key").is_null()).then(None)
        .when(pl.col("_n").is_null()).then(pl.lit(absent))
        .when(pl.col("_n") > 1).then(pl.format(f"{key.label} matches {{}} accounts", pl.col("_n")))
    )
    why = pl.concat_str(pl.col("_why"), reason, separator="; ", ignore_nulls=True) if key.explains else pl.col("_why")
    return tried.with_columns(
        pl.when(pl.col("_n") == 1).then(pl.col("_acc")).alias("_hit"), pl.when(why != "").then(why).alias("_why")
    ).drop("_raw", "_key", "_n", "_acc")


def _unmatched(pending: pl.DataFrame, first_row: int) -> pl.DataFrame:
    """The original columns of the rows left over, with why and where: the planner's to-do list."""
    if "_ev" not in pending.columns:
        return pending.with_columns(pl.lit(None, pl.String).alias("reason"), pl.lit(None, pl.Int64).alias("row"))
    original = [column for column in pending.columns if column not in ("_ev", "_why", "_line")]
    # A reshaped file (a company report, one row per metric) carries each row's own line in `_line`.
    line = pl.col("_line") if "_line" in pending.columns else pl.col("_ev") + first_row
    return pending.select(
        *original,
        pl.col("_why").fill_null(_NO_KEY).alias("reason"),
        line.cast(pl.Int64).alias("row"),
    )
