"""Salesforce: one Data Loader file that updates Accounts by Id with the ABM fields."""

from __future__ import annotations

import re

import polars as pl

from abm_tui.outputs.destinations.common import ABM_FIELDS, Draft, ExportContext
from abm_tui.outputs.manifest import Provenance

SALESFORCE_FILE = "salesforce_accounts.csv"
SALESFORCE_ID = r"^001[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?$"  # Account ids: 15 or 18 characters, prefix 001
OWNED = re.compile(re.escape(SALESFORCE_FILE))


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
    return Draft(((SALESFORCE_FILE, rows),), warnings, rows.height)
