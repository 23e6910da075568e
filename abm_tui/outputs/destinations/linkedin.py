"""LinkedIn: one matched-audience company list per tier or segment, with an index, within LinkedIn's limits."""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from abm_tui.files import spreadsheet_safe
from abm_tui.outputs.destinations.common import Draft, ExportContext, label_order, some, split, tier_names
from abm_tui.outputs.manifest import Provenance
from abm_tui.plan.model import NOT_TARGET, UNSTAGED

LINKEDIN_DIR = "linkedin"
LINKEDIN_INDEX = "lists.csv"
LINKEDIN_HEADER = (
    "companyname", "companywebsite", "companyemaildomain", "linkedincompanypageurl", "stocksymbol", "industry",
    "city", "state", "companycountry", "zipcode",
)
LINKEDIN_MAX_ROWS = 300_000
LINKEDIN_MAX_BYTES = 19_000_000  # LinkedIn takes files up to 20 MB; the margin covers its counting of a MB
# File names Windows refuses, and the name of the list index, are never used for a list.
_RESERVED = {"con", "prn", "aux", "nul", "lists", *(f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10))}
OWNED = re.compile(rf"{LINKEDIN_DIR}/[^/]+\.csv")


def build(context: ExportContext, prov: Provenance) -> Draft:
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
    tiers = tier_names(context.plan)
    stages = tuple(s.name for s in context.plan.stages) + (UNSTAGED,)
    targets = (
        pl.concat([context.assignments.select("tier", "stage"), companies], how="horizontal")
        .filter(pl.col("tier") != NOT_TARGET)
        .with_columns(label_order(pl.col("tier"), tiers).alias("_tier"), label_order(pl.col("stage"), stages)
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
        for name, part in split(stem, "--part-", spreadsheet_safe(rows), LINKEDIN_MAX_ROWS, LINKEDIN_MAX_BYTES):
            files.append((f"{LINKEDIN_DIR}/{name}.csv", part))
            index.append((f"{name}.csv", " / ".join(group), part.height, "; ".join(notes)))
    lists = pl.DataFrame(index, schema=["file", settings.linkedin_per, "rows", "warning"], orient="row")
    files.append((f"{LINKEDIN_DIR}/{LINKEDIN_INDEX}", lists))
    return Draft(tuple(files), _linkedin_warnings(targets, lists, len(groups), settings.linkedin_min_size),
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
                        f"least {min_size:,} companies to run a matched audience: {some(shown)}")
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
