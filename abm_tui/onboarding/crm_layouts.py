"""The demo accounts as a CRM would hand them over: a HubSpot companies export and a Salesforce report.

Planners never start from canonical columns, so the walkthrough, the tests and the ingest benchmark
start where they do: labels for headers, money as `$1,200,000` or `1.2M`, sizes as `1,001-5,000`,
industries as HubSpot enums, report titles above the header and totals below the data.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from abm_tui.ingest.presets import CrmStage

# HubSpot's "Number of employees" picklists and LinkedIn's company sizes use these bands.
_SIZE_BANDS = ((1, 10), (11, 50), (51, 200), (201, 500), (501, 1000), (1001, 5000), (5001, 10000), (10001, None))
_HUBSPOT_RECORD_BASE = 5_100_000_000
_LIFECYCLE = {
    CrmStage.NONE: "Lead", CrmStage.OPEN: "Opportunity", CrmStage.CLOSED_WON: "Customer", CrmStage.CUSTOMER: "Customer",
    CrmStage.CLOSED_LOST: "Other", CrmStage.CHURNED: "Other",
}
_SALESFORCE_TYPE = {
    CrmStage.NONE: "Prospect", CrmStage.OPEN: "Prospect", CrmStage.CLOSED_WON: "Customer - Direct",
    CrmStage.CUSTOMER: "Customer - Direct", CrmStage.CLOSED_LOST: "Prospect", CrmStage.CHURNED: "Former Customer",
}


def _size_band(employees: pl.Expr) -> pl.Expr:
    """`1,001-5,000` or `10,001+`, the way CRMs show a size picklist."""
    band = pl.lit(None, pl.String)
    for low, high in _SIZE_BANDS:  # the last band checked is the outermost condition
        label = f"{low:,}+" if high is None else f"{low:,}-{high:,}"
        band = pl.when(employees >= low).then(pl.lit(label)).otherwise(band)
    return band


def _money_text(amount: pl.Expr, style: pl.Expr) -> pl.Expr:
    """`$1,200,000` for most rows, `1.2M` for some: both turn up in one export after years of hand edits."""
    millions = (amount / 1e6).round(1).cast(pl.String) + "M"
    digits = amount.cast(pl.Int64).cast(pl.String).str.reverse()
    dollars = "$" + digits.str.replace_all(r"(\d{3})", "$1,").str.strip_suffix(",").str.reverse()
    return pl.when(amount.is_null()).then(pl.lit("")).when(style).then(millions).otherwise(dollars)


def _enum(text: pl.Expr) -> pl.Expr:
    return text.str.to_uppercase().str.replace_all(r"[^A-Z0-9]+", "_")


def hubspot_export(accounts: pl.DataFrame, seed: int = 7) -> pl.DataFrame:
    """The accounts under HubSpot's export labels, with the mess real exports carry."""
    rng = np.random.default_rng(seed)
    n = accounts.height
    noise = pl.DataFrame({
        "_url": rng.random(n) < 0.15, "_range": rng.random(n) < 0.5, "_short": rng.random(n) < 0.3,
    })
    domain = pl.col("domain")
    return pl.concat([accounts, noise], how="horizontal").select(
        (pl.int_range(pl.len(), dtype=pl.Int64) + _HUBSPOT_RECORD_BASE).alias("Record ID"),
        pl.col("name").alias("Company name"),
        pl.when(pl.col("_url")).then("https://www." + domain + "/").otherwise(domain).alias("Company Domain Name"),
        ("https://" + domain).alias("Website URL"),
        _enum(pl.col("industry")).alias("Industry"),
        pl.when(pl.col("_range")).then(_size_band(pl.col("employees")))
        .otherwise(pl.col("employees").cast(pl.String)).alias("Number of Employees"),
        _money_text(pl.col("annual_revenue"), pl.col("_short")).alias("Annual Revenue"),
        pl.col("country").alias("Country/Region"),
        pl.col("crm_stage").replace_strict(_LIFECYCLE, default="Lead").alias("Lifecycle Stage"),
        pl.col("owner").fill_null("").alias("Company owner"),
        _money_text(pl.col("opportunity_amount"), pl.lit(False)).alias("Recent Deal Amount"),
        pl.col("tech_stack").list.join(";").alias("Technologies"),
        pl.col("funding_stage").fill_null("").alias("Funding Stage"),
    )


def salesforce_ids(count: int) -> pl.Series:
    """18-character Account IDs with the `001` key prefix, as Data Loader expects them."""
    return ("001" + pl.int_range(count, eager=True).cast(pl.String).str.zfill(12) + "AAA").alias("Id")


def salesforce_report(accounts: pl.DataFrame, title: str = "ABM accounts") -> str:
    """A report exported as CSV: title lines above the header, totals and the confidentiality notice below."""
    rows = accounts.select(
        pl.col("name").alias("Account Name"),
        salesforce_ids(accounts.height).alias("Account ID"),
        ("www." + pl.col("domain")).alias("Website"),
        pl.col("industry").alias("Industry"),
        pl.col("employees").alias("Employees"),
        pl.when(pl.col("annual_revenue").is_null()).then(pl.lit(""))
        .otherwise("USD " + pl.col("annual_revenue").cast(pl.String)).alias("Annual Revenue"),
        pl.col("country").alias("Billing Country"),
        pl.col("crm_stage").replace_strict(_SALESFORCE_TYPE, default="Prospect").alias("Type"),
        pl.col("owner").fill_null("").alias("Account Owner"),
    )
    head = f'"{title}"\n"As of 11/20/2026 9:15 AM"\n"Filtered By: Type not equal to Partner"\n\n'
    foot = (
        f'\n"Grand Totals ({accounts.height:,} records)"\n\n"Confidential Information - Do Not Distribute"\n'
        '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
    )
    return head + rows.write_csv(quote_style="always") + foot
