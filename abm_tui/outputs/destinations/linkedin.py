"""LinkedIn: one matched-audience company list per tier or segment, with an index, within LinkedIn's limits;
and, when the plan names a contacts file, one contact list per tier or segment and persona.

A contact list is the people a persona's message is for (the seeds: a VP of Marketing and a Head of RevOps at the
same account need different ads). Lists that are persona- and so title-based often come out under LinkedIn's
minimum audience; the seeds' advice is then to target by job function plus seniority, so each short list says how
many of the segment's contacts its people's function and seniority pairs would reach.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from abm_tui.engine.committee import plan_personas
from abm_tui.files import spreadsheet_safe
from abm_tui.outputs.destinations.common import (
    Draft,
    ExportContext,
    contact_rows,
    label_order,
    some,
    split,
    tier_names,
)
from abm_tui.outputs.manifest import Provenance
from abm_tui.plan.model import NOT_TARGET, UNSTAGED

LINKEDIN_DIR = "linkedin"
LINKEDIN_INDEX = "lists.csv"
LINKEDIN_HEADER = (
    "companyname", "companywebsite", "companyemaildomain", "linkedincompanypageurl", "stocksymbol", "industry",
    "city", "state", "companycountry", "zipcode",
)
LINKEDIN_CONTACT_HEADER = ("email", "firstname", "lastname", "jobtitle", "employeecompany", "country", "googleaid")
CONTACTS_DIR = f"{LINKEDIN_DIR}/contacts"
LINKEDIN_MAX_ROWS = 300_000
LINKEDIN_MAX_BYTES = 19_000_000  # LinkedIn takes files up to 20 MB; the margin covers its counting of a MB
# File names Windows refuses, and the name of the list index, are never used for a list.
_RESERVED = {"con", "prn", "aux", "nul", "lists", *(f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10))}
OWNED = re.compile(rf"{LINKEDIN_DIR}/(?:contacts/)?[^/]+\.csv")


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
    warnings = _linkedin_warnings(targets, lists, len(groups), settings.linkedin_min_size)
    if context.contacts is None:
        return Draft(tuple(files), warnings, targets.height)
    people, said = _contact_lists(context, keys, tiers, stages)
    return Draft(tuple(files) + people, warnings + said, targets.height)


def _contact_lists(context: ExportContext, keys: tuple[str, ...], tiers: tuple[str, ...],
                   stages: tuple[str, ...]) -> tuple[tuple[tuple[str, pl.DataFrame | str], ...], tuple[str, ...]]:
    """One list per tier (or segment) and persona of the target accounts' contacts, and their index."""
    min_size = context.plan.export.linkedin_min_size
    people = contact_rows(context, "tier", "stage", "name")
    if "country" in context.accounts.columns:
        own = _optional(people, "country")
        people = people.with_columns(pl.coalesce(own, context.accounts.get_column("country").cast(pl.String)
                                                 .gather(people.get_column("_row"))).alias("_country"))
    else:
        people = people.with_columns(_optional(people, "country").alias("_country"))
    targets = people.filter(pl.col("tier") != NOT_TARGET)
    listed = targets.filter(pl.col("persona").is_not_null()).with_columns(
        label_order(pl.col("tier"), tiers).alias("_tier"), label_order(pl.col("stage"), stages).alias("_stage"),
        pl.col("persona").to_physical().cast(pl.Int64).alias("_persona"),
    )
    group_keys = (*keys, "persona")
    rows = listed.select(
        *group_keys, "function", "seniority",
        pl.col("email").alias("email"),
        *(_optional(people, source).alias(header) for header, source in (
            ("firstname", "first_name"), ("lastname", "last_name"))),
        pl.col("job_title").alias("jobtitle"),
        pl.col("name").cast(pl.String).alias("employeecompany"),
        pl.col("_country").alias("country"),
        pl.lit(None, pl.String).alias("googleaid"),
        "_tier", "_stage", "_persona",
    )
    reach = _function_seniority_reach(targets, keys, rows)
    order = rows.select(*group_keys, "_tier", "_stage", "_persona").unique(group_keys).sort(
        ["_tier", "_stage"][: len(keys)] + ["_persona"])
    groups = rows.partition_by(list(group_keys), as_dict=True, include_key=False)
    files: list[tuple[str, pl.DataFrame | str]] = []
    index = []
    short = []
    taken: set[str] = set()
    for group in order.select(group_keys).iter_rows():
        members = groups[group].select(LINKEDIN_CONTACT_HEADER)
        notes = []
        if members.height < min_size:
            wider, pairs = reach[group]
            notes.append(f"{members.height:,} contacts; LinkedIn needs at least {min_size:,} to run a matched "
                         "audience" + (f"; job function plus seniority ({pairs}) would reach {wider:,}"
                                       if wider > members.height else ""))
            short.append(f"{' / '.join(group)} ({members.height:,}" + (f", {wider:,} by function plus seniority)"
                                                                       if wider > members.height else ")"))
        for name, part in split(_slug(group, taken), "--part-", spreadsheet_safe(members), LINKEDIN_MAX_ROWS,
                                LINKEDIN_MAX_BYTES):
            files.append((f"{CONTACTS_DIR}/{name}.csv", part))
            index.append((f"{name}.csv", " / ".join(group[:-1]), group[-1], part.height, "; ".join(notes)))
    per = context.plan.export.linkedin_per
    lists = pl.DataFrame(index, schema=["file", per, "persona", "rows", "warning"], orient="row")
    files.append((f"{CONTACTS_DIR}/{LINKEDIN_INDEX}", lists))
    return tuple(files), _contact_warnings(targets, len(order), short, min_size, len(plan_personas(context.plan)))


def _optional(frame: pl.DataFrame, column: str) -> pl.Expr:
    return pl.col(column) if column in frame.columns else pl.lit(None, pl.String)


def _function_seniority_reach(targets: pl.DataFrame, keys: tuple[str, ...],
                              rows: pl.DataFrame) -> dict[tuple[str, ...], tuple[int, str]]:
    """Per list: how many of its segment's target contacts (any persona or none) share a function and seniority
    pair with one of its people, and those pairs in words: the wider audience the seeds advise for small lists."""
    pair = ["function", "seniority"]
    known = pl.col("function").is_not_null() & pl.col("seniority").is_not_null()
    per_pair = targets.filter(known).group_by(*keys, *pair).agg(pl.len().alias("n"))
    used = rows.filter(known).select(*keys, "persona", *pair).unique()
    joined = used.join(per_pair, on=[*keys, *pair]).sort(["n", *pair], descending=[True, False, False]).group_by(
        *keys, "persona", maintain_order=True).agg(
        pl.col("n").sum(),
        pl.format("{} / {}", *(pl.col(c).cast(pl.String) for c in pair)).head(3).str.join(", ").alias("pairs"),
    )
    found = {tuple(str(v) for v in row[:-2]): (int(row[-2]), row[-1]) for row in joined.iter_rows()}
    groups = rows.select(*keys, "persona").unique().iter_rows()
    return {tuple(str(v) for v in g): found.get(tuple(str(v) for v in g), (0, "")) for g in groups}


def _contact_warnings(targets: pl.DataFrame, count: int, short: list[str], min_size: int,
                      personas: int) -> tuple[str, ...]:
    if not targets.height:
        return ("no contact works at an account in a target tier, so no LinkedIn contact list was written",)
    warnings = []
    if short:
        warnings.append(f"{len(short)} of {count} contact lists are under {min_size:,} contacts, and LinkedIn needs "
                        f"at least {min_size:,} to run a matched audience; target those by job function plus "
                        f"seniority instead: {some(short)}")
    unnamed = targets.filter(pl.col("persona").is_null()).height
    if unnamed:
        warnings.append(f"{unnamed:,} contacts at target accounts have none of the {personas} personas and are in "
                        "no contact list (add [[personas]] rules or [[titles]] for their titles)")
    blind = targets.filter(pl.col("email").is_null()).height
    if blind:
        warnings.append(f"{blind:,} contacts at target accounts have no email; LinkedIn matches them by name and "
                        "company only")
    return tuple(warnings)


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
