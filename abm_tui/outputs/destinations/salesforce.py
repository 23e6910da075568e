"""Salesforce: one Data Loader file that updates Accounts by Id with the ABM fields; with a contacts file, one that
updates Contacts by Id with each person's persona and their account's segment."""

from __future__ import annotations

import re

import polars as pl

from abm_tui.outputs.destinations.common import ABM_FIELDS, Draft, ExportContext, contact_rows
from abm_tui.outputs.manifest import Provenance

SALESFORCE_FILE = "salesforce_accounts.csv"
SALESFORCE_CONTACTS_FILE = "salesforce_contacts.csv"
CONTACT_ID = r"^003[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?$"  # Contact ids: prefix 003
CONTACT_FIELDS = ("persona", "function", "seniority")
SALESFORCE_ID = r"^001[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?$"  # Account ids: 15 or 18 characters, prefix 001
OWNED = re.compile(f"{re.escape(SALESFORCE_FILE)}|{re.escape(SALESFORCE_CONTACTS_FILE)}")


def build(context: ExportContext, prov: Provenance) -> Draft:
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
    if context.contacts is None:
        return Draft(((SALESFORCE_FILE, rows),), warnings, rows.height)
    people, said = _contacts(context, prov)
    return Draft(((SALESFORCE_FILE, rows), (SALESFORCE_CONTACTS_FILE, people)), warnings + said, rows.height)


def _contacts(context: ExportContext, prov: Provenance) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Contacts by their Id (Data Loader updates by Id only): the person's persona, the account's ABM fields."""
    people = contact_rows(context, *ABM_FIELDS)
    ids = pl.col("contact_id") if "contact_id" in people.columns else pl.lit(None, pl.String)
    lost = people.select(ids.is_null().sum()).item()
    people = people.filter(ids.is_not_null())
    rows = people.select(
        ids.alias("Id"),
        pl.col("account_id").alias("AccountId"),
        *(pl.col(f).cast(pl.String).alias(f"ABM_{f.title()}__c") for f in CONTACT_FIELDS),
        *(pl.col(f).alias(f"ABM_Account_{f.title()}__c") for f in ABM_FIELDS),
        pl.lit(prov.label()).alias("ABM_Plan__c"),
    )
    said = []
    if lost:
        said.append(f"{lost:,} contacts have no contact id and are left out of {SALESFORCE_CONTACTS_FILE}: Data Loader "
                    "updates Contacts by Id")
    odd = people.filter(~ids.str.contains(CONTACT_ID))
    if odd.height:
        said.append(f"{odd.height:,} contact ids do not look like Salesforce Contact IDs (15 or 18 letters and digits "
                    f"starting 003), e.g. {odd.item(0, 'contact_id')!r}; Data Loader will not match them by Id")
    return rows, tuple(said)
