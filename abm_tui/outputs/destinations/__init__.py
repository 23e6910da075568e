"""Segments back into the systems that act on them: HubSpot, Salesforce, LinkedIn and the warehouse.

Each file has the exact layout its importer expects, because a planner uploads it without
editing, and each stays under the importer's limits by splitting. Every CRM row carries the
plan's provenance label and `manifest.json` records what made each file, so a tier seen in a
CRM months later can be traced to the plan that set it. Files hold no timestamp: the same plan
on the same data writes the same bytes, so a weekly run that changed nothing shows no change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from abm_tui import __version__
from abm_tui.errors import AbmError, nearest
from abm_tui.files import guard_inputs, spreadsheet_safe, write_csv, write_text
from abm_tui.plan.dump import plan_hash
from abm_tui.plan.model import DESTINATIONS, NOT_TARGET, UNSTAGED, Plan
from abm_tui.plan.paths import input_paths

if TYPE_CHECKING:
    from abm_tui.session import Session

MANIFEST = "manifest.json"
HUBSPOT_STEM = "hubspot_companies"
HUBSPOT_MAX_ROWS = 249_998  # with the header, under the 250,000 rows HubSpot imports from one file
ICP_TIERS = ("tier_1", "tier_2", "tier_3")  # HubSpot's internal values of Ideal Customer Profile Tier
SALESFORCE_FILE = "salesforce_accounts.csv"
SALESFORCE_ID = r"^001[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?$"  # Account ids: 15 or 18 characters, prefix 001
LINKEDIN_DIR = "linkedin"
LINKEDIN_INDEX = "lists.csv"
LINKEDIN_HEADER = (
    "companyname", "companywebsite", "companyemaildomain", "linkedincompanypageurl", "stocksymbol", "industry",
    "city", "state", "companycountry", "zipcode",
)
LINKEDIN_MAX_ROWS = 300_000
LINKEDIN_MAX_BYTES = 19_000_000  # LinkedIn takes files up to 20 MB; the margin covers its counting of a MB
SQL_FILE = "plan.sql"
ABM_FIELDS = ("tier", "stage", "segment", "bucket", "play", "fit_score")
# File names Windows refuses, and the name of the list index, are never used for a list.
_RESERVED = {"con", "prn", "aux", "nul", "lists", *(f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10))}
_OWNED = {  # the files of earlier deliveries that a new delivery replaces
    "hubspot": re.compile(rf"{HUBSPOT_STEM}(?:-\d+)?\.csv"),
    "salesforce": re.compile(re.escape(SALESFORCE_FILE)),
    "linkedin": re.compile(rf"{LINKEDIN_DIR}/[^/]+\.csv"),
    "sql": re.compile(re.escape(SQL_FILE)),
}


@dataclass(frozen=True)
class Provenance:
    """What made a delivery: enough to find the plan again from a CRM field or a file."""

    plan_name: str
    plan_hash: str
    as_of: dt.date
    generated_at: str
    version: str

    def label(self) -> str:
        """One line for the `ABM Plan` field; without the time, so an unchanged plan writes unchanged rows."""
        name = " ".join(self.plan_name.splitlines())
        return f"{name} (plan {self.plan_hash}, as of {self.as_of.isoformat()})"


def provenance(plan: Plan, as_of: dt.date) -> Provenance:
    generated = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return Provenance(plan.name, plan_hash(plan), as_of, generated, __version__)


@dataclass(frozen=True)
class ExportContext:
    """One segmentation as the destinations need it: the assignments beside the accounts they describe."""

    plan: Plan
    assignments: pl.DataFrame
    accounts: pl.DataFrame
    as_of: dt.date
    preset: str
    channels: tuple[str, ...] | None
    inputs: frozenset[Path]

    @classmethod
    def of(cls, session: Session, plan_file: Path | None = None, preset: str | None = None) -> ExportContext:
        """The session's current plan; `preset` overrides the layout the accounts were read as."""
        plan = session.plan
        chosen = preset or session.report.preset
        return cls(plan, session.assignments(), session.workspace.dataset.accounts, session.as_of, chosen,
                   session.workspace.channels, frozenset(input_paths(plan, plan_file)))


@dataclass(frozen=True)
class Delivery:
    """The files one destination got; `rows` counts data rows written (0 for SQL)."""

    destination: str
    files: tuple[Path, ...]
    warnings: tuple[str, ...]
    rows: int


@dataclass(frozen=True)
class _Draft:
    """A destination's files before anything is written: names relative to the output folder."""

    files: tuple[tuple[str, pl.DataFrame | str], ...]
    warnings: tuple[str, ...]
    rows: int


def deliver(destination: str, context: ExportContext, out_dir: Path,
            progress: Callable[[str], None] | None = None) -> Delivery:
    """Write one destination's files into out_dir, replacing those of its earlier delivery there."""
    if destination not in _BUILDERS:
        raise AbmError(f"unknown destination {destination!r}; expected one of {', '.join(DESTINATIONS)}"
                       + nearest(destination, DESTINATIONS))
    if context.assignments.height != context.accounts.height:
        raise ValueError("assignments and accounts must describe the same accounts in the same order")
    earlier = _read_manifest(out_dir)
    draft = _BUILDERS[destination](context, provenance(context.plan, context.as_of))
    names = [name for name, _ in draft.files]
    stale = [name for name in earlier if _OWNED[destination].fullmatch(name) and name not in names]
    guard_inputs([out_dir / name for name in names + stale], set(context.inputs))
    written = []
    for name, content in draft.files:
        if progress is not None:
            progress(name)
        path = out_dir / name
        written.append(write_csv(content, path) if isinstance(content, pl.DataFrame) else write_text(path, content))
    gone = [name for name in stale if (out_dir / name).is_file()]
    for name in gone:
        (out_dir / name).unlink()
    notes = [f"removed {len(gone)} file(s) of an earlier delivery that this plan no longer makes: "
             + _some(gone)] if gone else []
    return Delivery(destination, tuple(written), draft.warnings + tuple(notes), draft.rows)


# --- HubSpot ------------------------------------------------------------------------------------


def _hubspot(context: ExportContext, prov: Provenance) -> _Draft:
    frame = context.assignments
    setting = context.plan.export.hubspot_key
    by_record = setting == "record_id" or (setting == "auto" and context.preset == "hubspot")
    warnings = []
    if by_record:
        key = pl.col("account_id").alias("Record ID")
        odd = frame.filter(~pl.col("account_id").str.contains(r"^\d+$"))
        if odd.height:
            warnings.append(f"{odd.height:,} account ids are not HubSpot Record IDs (whole numbers), e.g. "
                            f"{odd.item(0, 'account_id')!r}; HubSpot will not find those companies")
    else:
        key = pl.col("domain").alias("Company Domain Name")
        missing = frame.select(pl.col("domain").is_null().sum()).item()
        if missing:
            warnings.append(f"{missing:,} accounts have no domain and are left out: HubSpot matches companies by "
                            'Company Domain Name (or set [export.hubspot] key = "record_id")')
            frame = frame.filter(pl.col("domain").is_not_null())
        shared = frame.select(pl.col("domain").is_duplicated().sum()).item()
        if shared:
            warnings.append(f"{shared:,} rows share a domain with another row; HubSpot updates one company per "
                            "domain, so the last of them wins")
    position = _position(pl.col("tier"), _tier_names(context.plan))
    target = pl.col("tier") != NOT_TARGET
    rows = frame.select(
        key,
        pl.col("name").alias("Company name"),
        *(pl.col(field).alias("ABM " + field.replace("_", " ").title()) for field in ABM_FIELDS),
        pl.lit(prov.label()).alias("ABM Plan"),
        pl.when(target).then(pl.format("tier_{}", pl.min_horizontal(position + 1, len(ICP_TIERS))))
        .alias("Ideal Customer Profile Tier"),
        pl.when(target).then(pl.lit("true")).otherwise(pl.lit("false")).alias("Target Account"),
    )
    present = set(frame.get_column("tier").unique().to_list())
    beyond = [name for name in _tier_names(context.plan)[len(ICP_TIERS):-1] if name in present]
    if beyond:
        count = frame.filter(pl.col("tier").is_in(beyond)).height
        warnings.append(f"HubSpot's Ideal Customer Profile Tier stops at tier_3, so {count:,} accounts of "
                        f"{_some(beyond)} are imported as tier_3 (ABM Tier keeps the plan's name)")
    files = _split(HUBSPOT_STEM, "-", rows, HUBSPOT_MAX_ROWS)
    if len(files) > 1:
        warnings.append(f"split into {len(files)} files of at most {HUBSPOT_MAX_ROWS:,} rows: HubSpot imports "
                        "under 250,000 rows per file")
    return _Draft(tuple((f"{stem}.csv", part) for stem, part in files), tuple(warnings), rows.height)


# --- Salesforce ---------------------------------------------------------------------------------


def _salesforce(context: ExportContext, prov: Provenance) -> _Draft:
    frame = context.assignments
    rows = frame.select(
        pl.col("account_id").alias("Id"),
        *(pl.col(field).alias(f"ABM_{field.title()}__c") for field in ABM_FIELDS),
        pl.lit(prov.label()).alias("ABM_Plan__c"),
        pl.lit(prov.as_of.isoformat()).alias("ABM_As_Of__c"),
    )
    odd = frame.filter(~pl.col("account_id").str.contains(SALESFORCE_ID))
    warnings = (
        (f"{odd.height:,} account ids do not look like Salesforce Account IDs (15 or 18 letters and digits "
         f"starting 001), e.g. {odd.item(0, 'account_id')!r}; Data Loader will not match them by Id",)
        if odd.height else ()
    )
    return _Draft(((SALESFORCE_FILE, rows),), warnings, rows.height)


# --- LinkedIn -----------------------------------------------------------------------------------


def _linkedin(context: ExportContext, prov: Provenance) -> _Draft:
    settings = context.plan.export
    schema = context.accounts.schema
    companies = context.accounts.select(
        _text(schema, "name").alias("companyname"),
        pl.coalesce(_text(schema, "website"), pl.lit("https://") + _text(schema, "domain")).alias("companywebsite"),
        *(_text(schema, source).alias(header) for header, source in (
            ("companyemaildomain", "domain"), ("linkedincompanypageurl", "linkedin_url"), ("stocksymbol", "ticker"),
            ("industry", "industry"), ("city", "city"), ("state", "state"), ("companycountry", "country"),
            ("zipcode", "postal_code"))),
    )
    tiers = _tier_names(context.plan)
    stages = tuple(s.name for s in context.plan.stages) + (UNSTAGED,)
    targets = (
        pl.concat([context.assignments.select("tier", "stage"), companies], how="horizontal")
        .filter(pl.col("tier") != NOT_TARGET)
        .with_columns(_position(pl.col("tier"), tiers).alias("_tier"), _position(pl.col("stage"), stages)
                      .alias("_stage"))
    )
    keys = ("tier",) if settings.linkedin_per == "tier" else ("tier", "stage")
    groups = targets.partition_by(keys, as_dict=True, include_key=False)
    order = targets.select(*keys, "_tier", "_stage").unique(keys).sort(["_tier", "_stage"][: len(keys)])
    files: list[tuple[str, pl.DataFrame | str]] = []
    index = []
    taken: set[str] = set()
    for group in order.select(keys).iter_rows():
        rows = groups[group].select(LINKEDIN_HEADER)
        stem = _slug(group, taken)
        notes = _list_notes(rows, settings.linkedin_min_size)
        for name, part in _split(stem, "--part-", spreadsheet_safe(rows), LINKEDIN_MAX_ROWS, LINKEDIN_MAX_BYTES):
            files.append((f"{LINKEDIN_DIR}/{name}.csv", part))
            index.append((f"{name}.csv", " / ".join(group), part.height, "; ".join(notes)))
    lists = pl.DataFrame(index, schema=["file", settings.linkedin_per, "rows", "warning"], orient="row")
    files.append((f"{LINKEDIN_DIR}/{LINKEDIN_INDEX}", lists))
    return _Draft(tuple(files), _linkedin_warnings(targets, lists, len(groups), settings.linkedin_min_size),
                  targets.height)


def _text(schema: pl.Schema, column: str) -> pl.Expr:
    """A column as text, whole numbers without `.0`; missing columns as blanks."""
    if column not in schema:
        return pl.lit(None, dtype=pl.String)
    value = pl.col(column)
    if schema[column].is_float():
        whole = value.cast(pl.Int64, strict=False).cast(pl.String)
        return pl.when(value == value.round()).then(whole).otherwise(value.cast(pl.String))
    return value.cast(pl.String)


def _list_notes(rows: pl.DataFrame, min_size: int) -> list[str]:
    notes = []
    if rows.height < min_size:
        notes.append(f"{rows.height:,} companies; LinkedIn needs at least {min_size:,} companies to run a matched "
                     "audience")
    blind = rows.select(_unfindable().sum()).item()
    if blind:
        notes.append(f"{blind:,} without a domain or a LinkedIn page match poorly")
    return notes


def _unfindable() -> pl.Expr:
    return pl.col("companyemaildomain").is_null() & pl.col("linkedincompanypageurl").is_null()


def _linkedin_warnings(targets: pl.DataFrame, lists: pl.DataFrame, count: int, min_size: int) -> tuple[str, ...]:
    if not count:
        return ("no account is in a target tier, so no LinkedIn list was written",)
    name = lists.columns[1]
    sizes = lists.group_by(name, maintain_order=True).agg(pl.col("rows").sum()).filter(pl.col("rows") < min_size)
    warnings = []
    if sizes.height:
        shown = [f"{label} ({rows:,})" for label, rows in sizes.iter_rows()]
        warnings.append(f"{sizes.height} of {count} lists are under {min_size:,} companies, and LinkedIn needs at "
                        f"least {min_size:,} companies to run a matched audience: {_some(shown)}")
    blind = targets.select(_unfindable().sum()).item()
    if blind:
        warnings.append(f"{blind:,} companies have neither a domain nor a LinkedIn page and will match poorly")
    if lists.height > count:
        warnings.append(f"lists over {LINKEDIN_MAX_ROWS:,} companies or {LINKEDIN_MAX_BYTES // 1_000_000} MB are "
                        "split into parts, as LinkedIn takes no larger file")
    return tuple(warnings)


def _slug(names: tuple[str, ...], taken: set[str]) -> str:
    """`("Tier 1", "Interested")` as `tier-1--interested`: ASCII, lower case, unique among `taken`.

    `--` only ever joins names (runs of other characters become one `-`), so no list's name can be
    another list's part.
    """
    parts = []
    for name in names:
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
        parts.append(re.sub(r"[^a-z0-9]+", "-", ascii_name)[:40].strip("-") or "list")
    base = "--".join(parts)
    base = f"{base}-list" if base in _RESERVED else base
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


# --- SQL ----------------------------------------------------------------------------------------


def _sql(context: ExportContext, prov: Provenance) -> _Draft:
    from abm_tui.outputs.warehouse import plan_sql

    settings = context.plan.export
    body = plan_sql(context.plan, context.accounts.schema, context.channels, context.as_of, settings.sql_dialect,
                    settings.accounts_table, settings.events_table)
    header = f"-- {prov.label()}\n-- written by abm-tui {prov.version} for {settings.sql_dialect}\n\n"
    return _Draft(((SQL_FILE, header + body.rstrip("\n") + "\n"),), (), 0)


_BUILDERS: dict[str, Callable[[ExportContext, Provenance], _Draft]] = {
    "hubspot": _hubspot, "salesforce": _salesforce, "linkedin": _linkedin, "sql": _sql,
}


# --- shared pieces ------------------------------------------------------------------------------


def _tier_names(plan: Plan) -> tuple[str, ...]:
    return tuple(t.name for t in plan.tiers) + (NOT_TARGET,)


def _position(column: pl.Expr, names: tuple[str, ...]) -> pl.Expr:
    """A label's place in the plan (tiers and stages are ordered, first most important)."""
    return column.cast(pl.Enum(names)).to_physical().cast(pl.Int64)


def _split(stem: str, joiner: str, frame: pl.DataFrame, max_rows: int,
           max_bytes: int | None = None) -> list[tuple[str, pl.DataFrame]]:
    """`[(stem, frame)]`, or numbered parts each within the row and (estimated CSV) byte limits."""
    chunks = pl.int_range(pl.len()) // max_rows
    if max_bytes is not None:
        chunks = pl.struct(chunks, _csv_bytes(frame).cum_sum() // max_bytes).rle_id()
    parts = frame.with_columns(chunks.alias("_part")).partition_by("_part", include_key=False, maintain_order=True)
    if len(parts) <= 1:
        return [(stem, frame)]
    return [(f"{stem}{joiner}{i}", part) for i, part in enumerate(parts, start=1)]


def _csv_bytes(frame: pl.DataFrame) -> pl.Expr:
    """Each row's length in a CSV: its UTF-8 text, quotes where a field needs them, commas, newline."""
    fields = []
    for name in frame.columns:
        text = pl.col(name).cast(pl.String)
        quoted = text.str.contains(r'[,"\r\n]') | (text == "")
        fields.append((text.str.len_bytes() + pl.when(quoted).then(2 + text.str.count_matches('"')).otherwise(0))
                      .fill_null(0))
    return pl.sum_horizontal(fields) + len(frame.columns)


def _some(names: list[str], shown: int = 5) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


# --- manifest -----------------------------------------------------------------------------------


def _read_manifest(out_dir: Path) -> dict[str, dict[str, Any]]:
    """The file entries of out_dir's manifest by name; a manifest we cannot read is never silently replaced."""
    path = out_dir / MANIFEST
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return {entry["name"]: entry for entry in doc["files"] if isinstance(entry["name"], str)}
    except (ValueError, KeyError, TypeError) as err:
        raise AbmError(f"{path}: is not a manifest abm-tui can read ({err}); move it away or choose another "
                       "--out folder") from None


def write_manifest(out_dir: Path, deliveries: Iterable[Path], prov: Provenance,
                   inputs: frozenset[Path] = frozenset()) -> Path:
    """Record each file with its rows, hash and plan, keeping the entries of earlier deliveries still present."""
    path = out_dir / MANIFEST
    guard_inputs([path], set(inputs))
    entries = {name: entry for name, entry in _read_manifest(out_dir).items() if (out_dir / name).is_file()}
    for file in deliveries:
        name = file.resolve().relative_to(out_dir.resolve()).as_posix()
        entries[name] = {"name": name, "rows": _rows(file), "sha256": _sha256(file), "plan_hash": prov.plan_hash,
                         "as_of": prov.as_of.isoformat(), "generated_at": prov.generated_at}
    doc = {
        "plan_name": prov.plan_name, "plan_hash": prov.plan_hash, "as_of": prov.as_of.isoformat(),
        "generated_at": prov.generated_at, "version": prov.version,
        "files": [entries[name] for name in sorted(entries)],
    }
    return write_text(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def _rows(path: Path) -> int | None:
    """Data rows of a table file; None for text such as plan.sql."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pl.scan_csv(path, infer_schema=False, glob=False).select(pl.len()).collect().item()
    if suffix == ".parquet":
        return pl.scan_parquet(path, glob=False).select(pl.len()).collect().item()
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
