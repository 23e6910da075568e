"""Header layouts of real exports: which preset a file is, and which header fills each canonical column."""

from __future__ import annotations

import polars as pl
import pytest

from abm_tui.errors import AbmError
from abm_tui.ingest import presets

HUBSPOT_LABELS = ["Record ID", "Company name", "Company Domain Name", "Industry", "Number of Employees",
                  "Annual Revenue", "Country/Region", "Lifecycle Stage", "Company owner", "Create Date"]
HUBSPOT_INTERNAL = ["hs_object_id", "name", "domain", "industry", "numberofemployees", "annualrevenue",
                    "lifecyclestage"]
SALESFORCE_REPORT = ["Account Name", "Account ID", "Website", "Industry", "Employees", "Annual Revenue",
                     "Billing Country", "Type", "Account Owner"]
SALESFORCE_API = ["Id", "IsDeleted", "Name", "Type", "BillingCountry", "NumberOfEmployees", "AnnualRevenue", "Website"]
LINKEDIN_REPORT = ["Company Name", "Company Industry", "Company Size", "Impressions", "Clicks", "Average CTR"]


def frame(headers: list[str], rows: int = 3) -> pl.DataFrame:
    return pl.DataFrame({h: [f"{h}-{i}" for i in range(rows)] for h in headers})


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (HUBSPOT_LABELS, "hubspot"),
        ([h.lower() for h in HUBSPOT_LABELS], "hubspot"),  # labels drift in case between portals
        (HUBSPOT_INTERNAL, "hubspot"),
        (SALESFORCE_REPORT, "salesforce"),
        (SALESFORCE_API, "salesforce"),
        (LINKEDIN_REPORT, "linkedin"),
        (["account_id", "name", "industry"], "canonical"),
        (["company", "revenue", "sector"], "canonical"),
    ],
)
def test_detects_the_layout_from_its_headers(headers: list[str], expected: str) -> None:
    assert presets.detect(headers).name == expected


def test_hubspot_labels_map_to_canonical_columns() -> None:
    layout = presets.resolve("auto", frame(HUBSPOT_LABELS))
    mapping = dict(layout.mapping)
    assert layout.preset.name == "hubspot" and layout.detected
    assert mapping["account_id"] == "Record ID"
    assert mapping["domain"] == "Company Domain Name"
    assert mapping["employees"] == "Number of Employees"
    assert mapping["crm_stage"] == "Lifecycle Stage"
    assert "read as HubSpot companies export (detected)" in layout.describe()


def test_salesforce_api_names_map_too() -> None:
    mapping = dict(presets.resolve("auto", frame(SALESFORCE_API)).mapping)
    assert mapping["account_id"] == "Id"
    assert mapping["employees"] == "NumberOfEmployees"
    assert mapping["country"] == "BillingCountry"


def test_explicit_columns_win_over_the_preset() -> None:
    layout = presets.resolve("salesforce", frame(SALESFORCE_REPORT), (("name", "Account Owner"),))
    assert dict(layout.mapping)["name"] == "Account Owner"
    assert not layout.detected
    assert "as the plan says" in layout.describe()


def test_a_column_already_canonical_keeps_its_own_header() -> None:
    layout = presets.resolve("auto", frame(["account_id", "name", "Website", "sector"]))
    mapping = dict(layout.mapping)
    assert "account_id" not in mapping and "name" not in mapping
    assert mapping["industry"] == "sector" and mapping["domain"] == "Website"


def test_the_id_is_a_column_that_names_every_row_once() -> None:
    """A ticker with blanks would drop private companies; the company name keeps them all."""
    data = pl.DataFrame({"company": ["Walmart", "Cargill", "Apple"], "Ticker": ["WMT", None, "AAPL"]})
    assert dict(presets.resolve("auto", data).mapping)["account_id"] == "company"
    complete = pl.DataFrame({"company": ["Walmart", "Apple"], "Ticker": ["WMT", "AAPL"]})
    assert dict(presets.resolve("auto", complete).mapping)["account_id"] == "Ticker"


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(AbmError, match='unknown preset "pipedrive"'):
        presets.resolve("pipedrive", frame(["a"]))


@pytest.mark.parametrize(
    ("preset", "header", "values", "expected"),
    [
        ("hubspot", "Lifecycle Stage", ["Customer", "Opportunity", "Marketing Qualified Lead", "evangelist", None,
                                        "Partner (custom)"],
         ["customer", "open_opportunity", "none", "customer", None, "Partner (custom)"]),
        ("salesforce", "Type", ["Customer - Direct", "Prospect", "Former Customer", "Channel Partner / Reseller"],
         ["customer", "none", "churned", "none"]),
        ("salesforce", "Opportunity Stage", ["Closed Won", "Closed Lost", "Negotiation/Review", ""],
         ["closed_won", "closed_lost", "open_opportunity", None]),
    ],
)
def test_crm_values_become_crm_stage_words(preset: str, header: str, values: list, expected: list) -> None:
    data = pl.DataFrame({"Record ID": ["1"] * len(values), "Account Name": ["x"] * len(values), header: values})
    layout = presets.resolve(preset, data)
    words = presets.crm_stage_values(layout)
    assert words is not None
    mapped = data.with_columns(words(pl.col(header)).alias("crm_stage"))
    assert mapped.get_column("crm_stage").to_list() == expected
    assert mapped.get_column(header).to_list() == values  # the original column is kept as it was


def test_no_value_mapping_for_a_plain_crm_stage_column() -> None:
    layout = presets.resolve("auto", frame(["account_id", "crm_stage"]))
    assert presets.crm_stage_values(layout) is None
