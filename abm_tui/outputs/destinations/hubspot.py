"""HubSpot: a companies import keyed by Record ID or Company Domain Name, under 250,000 rows a file; with a contacts
file, a contacts import (by Record ID, else Email) carrying each person's persona and their company's segment."""

from __future__ import annotations

import re

import polars as pl

from abm_tui.outputs.destinations.common import (
    ABM_FIELDS,
    Draft,
    ExportContext,
    contact_rows,
    label_order,
    some,
    split,
    tier_names,
)
from abm_tui.outputs.manifest import Provenance
from abm_tui.plan.model import NOT_TARGET

HUBSPOT_STEM = "hubspot_companies"
HUBSPOT_CONTACTS_STEM = "hubspot_contacts"
CONTACT_FIELDS = ("persona", "function", "seniority")  # each person's own, beside the account's ABM_FIELDS
HUBSPOT_MAX_ROWS = 249_998  # with the header, under the 250,000 rows HubSpot imports from one file
ICP_TIERS = ("tier_1", "tier_2", "tier_3")  # HubSpot's internal values of Ideal Customer Profile Tier
OWNED = re.compile(rf"(?:{HUBSPOT_STEM}|{HUBSPOT_CONTACTS_STEM})(?:-\d+)?\.csv")  # the files an earlier delivery wrote


def build(context: ExportContext, prov: Provenance) -> Draft:
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
    position = label_order(pl.col("tier"), tier_names(context.plan))
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
    beyond = [name for name in tier_names(context.plan)[len(ICP_TIERS):-1] if name in present]
    if beyond:
        count = frame.filter(pl.col("tier").is_in(beyond)).height
        warnings.append(f"HubSpot's Ideal Customer Profile Tier stops at tier_3, so {count:,} accounts of "
                        f"{some(beyond)} are imported as tier_3 (ABM Tier keeps the plan's name)")
    files = split(HUBSPOT_STEM, "-", rows, HUBSPOT_MAX_ROWS)
    if len(files) > 1:
        warnings.append(f"split into {len(files)} files of at most {HUBSPOT_MAX_ROWS:,} rows: HubSpot imports "
                        "under 250,000 rows per file")
    if context.contacts is not None:
        people, said = _contacts(context, prov)
        files += split(HUBSPOT_CONTACTS_STEM, "-", people, HUBSPOT_MAX_ROWS)
        warnings += said
    return Draft(tuple((f"{stem}.csv", part) for stem, part in files), tuple(warnings), rows.height)


def _contacts(context: ExportContext, prov: Provenance) -> tuple[pl.DataFrame, list[str]]:
    """Every matched contact HubSpot can find: by Record ID when the contacts came from HubSpot, else by Email.

    All contacts, not only those at target accounts, so a person whose company left a tier is updated too.
    """
    people = contact_rows(context, *ABM_FIELDS)
    record = pl.col("contact_id").str.contains(r"^\d+$") if "contact_id" in people.columns else pl.lit(False)
    findable = record | pl.col("email").is_not_null()
    lost = people.filter(~findable).height
    rows = people.filter(findable).select(
        pl.when(record).then(pl.col("contact_id")).alias("Record ID"),
        pl.col("email").alias("Email"),
        *(pl.col(f).cast(pl.String).alias("ABM " + f.title()) for f in CONTACT_FIELDS),
        *(pl.col(f).alias("ABM Account " + f.replace("_", " ").title()) for f in ABM_FIELDS),
        pl.lit(prov.label()).alias("ABM Plan"),
    )
    said = [f"{lost:,} contacts have neither an email nor a HubSpot Record ID and are left out of "
            f"{HUBSPOT_CONTACTS_STEM}.csv: HubSpot finds contacts by one of them"] if lost else []
    return rows, said
