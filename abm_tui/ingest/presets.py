"""The header layouts of the exports planners actually have, mapped to abm-tui's canonical columns.

Exports use labels, and labels drift: HubSpot writes "Company Domain Name" in one account and "Company domain
name" in another, Salesforce reports use labels while Data Loader uses API names. So headers match without regard
to case or spacing, each canonical column lists the labels it may come from, and a layout is recognised by the
headers only it has. Explicit `[data.columns]` entries always win over a preset.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl

from abm_tui.errors import AbmError
from abm_tui.ingest.cleaning import blank_to_null


class CrmStage(StrEnum):
    """The design's `crm_stage` words: what every preset turns its CRM's values into, and what the review and the
    movement count as an opportunity opened, won or lost."""

    NONE = "none"
    OPEN = "open_opportunity"
    CLOSED_WON = "closed_won"
    CUSTOMER = "customer"
    CLOSED_LOST = "closed_lost"
    CHURNED = "churned"


WON = (CrmStage.CLOSED_WON, CrmStage.CUSTOMER)
LOST = (CrmStage.CLOSED_LOST, CrmStage.CHURNED)


@dataclass(frozen=True)
class Preset:
    name: str
    title: str  # how the load summary names the layout
    labels: Mapping[str, tuple[str, ...]]  # canonical column -> headers it may come from, preferred first
    signature: tuple[frozenset[str], ...] = ()  # any one of these header sets identifies the layout
    stage_values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # label -> value key -> crm_stage

    def stage_words(self, header: str) -> Mapping[str, str] | None:
        """The stage words for a header however the file spells it: Data Loader writes `TYPE`, some HubSpot
        portals `Lifecycle stage`, and headers are matched without regard to case, so their values must be too."""
        return next((words for label, words in self.stage_values.items() if _key(label) == _key(header)), None)


_BRACKETED = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*$")


def _key(header: str) -> str:
    """Case, spacing and punctuation do not tell two labels apart."""
    return re.sub(r"[^a-z0-9]", "", header.lower())


_HUBSPOT_LIFECYCLE = {
    "subscriber": CrmStage.NONE, "lead": CrmStage.NONE, "marketingqualifiedlead": CrmStage.NONE,
    "salesqualifiedlead": CrmStage.NONE, "opportunity": CrmStage.OPEN, "customer": CrmStage.CUSTOMER,
    "evangelist": CrmStage.CUSTOMER, "other": CrmStage.NONE,
}
_SALESFORCE_TYPE = {
    "customerdirect": CrmStage.CUSTOMER, "customerchannel": CrmStage.CUSTOMER, "customer": CrmStage.CUSTOMER,
    "formercustomer": CrmStage.CHURNED, "prospect": CrmStage.NONE, "channelpartnerreseller": CrmStage.NONE,
    "installationpartner": CrmStage.NONE, "technologypartner": CrmStage.NONE, "other": CrmStage.NONE,
}
_SALESFORCE_STAGE = {"closedwon": CrmStage.CLOSED_WON, "closedlost": CrmStage.CLOSED_LOST}

HUBSPOT = Preset(
    "hubspot",
    "HubSpot companies export",
    {
        "account_id": ("Record ID", "Company ID", "hs_object_id"),
        "name": ("Company name", "Name"),
        "domain": ("Company Domain Name", "domain", "Website URL", "website"),
        "website": ("Website URL", "website"),
        "industry": ("Industry",),
        "employees": ("Number of Employees", "numberofemployees"),
        "annual_revenue": ("Annual Revenue", "annualrevenue"),
        "country": ("Country/Region", "Country"),
        "state": ("State/Region", "State"),
        "city": ("City",),
        "postal_code": ("Postal Code", "zip"),
        "linkedin_url": ("LinkedIn Company Page", "linkedin_company_page"),
        "owner": ("Company owner", "hubspot_owner_id"),
        "crm_stage": ("Lifecycle Stage", "lifecyclestage"),
        "opportunity_amount": ("Recent Deal Amount", "recent_deal_amount"),
        "tech_stack": ("Technologies",),
        "funding_stage": ("Funding Stage",),
    },
    (
        frozenset({"recordid", "companyname"}),
        frozenset({"recordid", "companydomainname"}),
        frozenset({"hsobjectid", "domain"}),
        frozenset({"companydomainname", "lifecyclestage"}),
    ),
    {"Lifecycle Stage": _HUBSPOT_LIFECYCLE},
)

SALESFORCE = Preset(
    "salesforce",
    "Salesforce account report",
    {
        "account_id": ("Account ID", "Id", "Account ID (18)", "18 Digit Account ID"),
        "name": ("Account Name", "Name"),
        "domain": ("Website",),
        "website": ("Website",),
        "industry": ("Industry",),
        "employees": ("Employees", "NumberOfEmployees"),
        "annual_revenue": ("Annual Revenue", "AnnualRevenue"),
        "country": ("Billing Country", "BillingCountry", "Shipping Country"),
        "state": ("Billing State/Province", "BillingState"),
        "city": ("Billing City", "BillingCity"),
        "postal_code": ("Billing Zip/Postal Code", "BillingPostalCode"),
        "owner": ("Account Owner", "Owner", "OwnerId"),
        "crm_stage": ("Opportunity Stage", "Stage", "Type", "Account Type"),
        "opportunity_amount": ("Amount", "Opportunity Amount"),
        "ticker": ("Ticker Symbol", "TickerSymbol"),
        "region": ("Region__c", "Region", "Sales Region"),
        "linkedin_url": ("LinkedIn__c", "LinkedIn_URL__c", "LinkedIn URL"),
    },
    (
        frozenset({"accountid", "accountname"}),
        frozenset({"accountname", "billingcountry"}),
        frozenset({"accountname", "accountowner"}),
        frozenset({"id", "name", "numberofemployees"}),
        frozenset({"name", "billingcountry"}),  # Salesforce DX sample data and extracts without the Id column
        frozenset({"name", "billingcity"}),
    ),
    {
        **{header: _SALESFORCE_TYPE for header in ("Type", "Account Type")},
        **{header: _SALESFORCE_STAGE for header in ("Opportunity Stage", "Stage")},
    },
)

LINKEDIN = Preset(
    "linkedin",
    "LinkedIn company report",
    {
        "account_id": ("Company ID", "Company Page URL", "LinkedIn Page URL", "Company Name", "Company"),
        "name": ("Company Name", "Company", "Company (Name)"),
        "industry": ("Company Industry", "Industry"),
        "employees": ("Company Size",),
        "country": ("Company Country", "Country", "Location"),
        "linkedin_url": ("Company Page URL", "LinkedIn Page URL"),
        "domain": ("Company Website", "Website"),
        "website": ("Company Website", "Website"),
    },
    (
        frozenset({"companyname", "impressions"}),
        frozenset({"company", "impressions"}),
        frozenset({"companyname", "companysize", "companyindustry"}),
    ),
)

# Spreadsheets and public lists name the same things in everyday words; used only where the file lacks the
# canonical column itself, and always reported, so a planner sees (and can override) every guess.
CANONICAL = Preset(
    "canonical",
    "a plain table",
    {
        "account_id": ("id", "Account ID", "Record ID", "Company ID", "permalink", "Symbol", "Ticker", "rownames"),
        "name": ("Name", "Company", "Company name", "Account name", "Organization", "Organisation", "Security"),
        "domain": ("Website", "Web site", "homepage_url", "homepage", "url", "Company domain"),
        "website": ("Website", "Web site", "homepage_url", "homepage", "url"),
        "industry": ("Sector", "Industry", "category", "category_code", "GICS Sector", "Vertical"),
        "employees": ("num. of employees", "Employees", "Number of employees", "Employee count", "Headcount",
                      "current employee estimate", "total employee estimate", "Company size", "size range",
                      "Employee range", "Staff"),
        "annual_revenue": ("Revenue", "Annual revenue", "Sales", "Turnover"),
        "country": ("Country", "country_code", "HQ country", "Country/Region"),
        "state": ("State", "state_code", "State/Region", "Province"),
        "city": ("City", "HQ city"),
        "location": ("locality", "Headquarters Location", "HQ location", "Headquarters", "Location"),
        "region": ("Region", "Sales region"),
        "ticker": ("Ticker", "Symbol", "Stock symbol"),
        "linkedin_url": ("linkedin url", "LinkedIn", "LinkedIn company page", "LinkedIn page"),
        "tech_stack": ("Technologies", "Tech stack", "Technology stack"),
        "funding_stage": ("Funding stage", "Last funding type", "Funding round"),
    },
)

PRESETS: dict[str, Preset] = {p.name: p for p in (HUBSPOT, SALESFORCE, LINKEDIN, CANONICAL)}


@dataclass(frozen=True)
class Layout:
    """The preset a file was read with, and the header behind each canonical column."""

    preset: Preset
    mapping: tuple[tuple[str, str], ...]  # canonical name, header in the file
    detected: bool  # chosen by `auto` rather than named in the plan
    id_choice: str = ""  # why the account_id column is the one it is, when the file had none of that name

    def describe(self) -> str:
        """For the load summary; empty when the file already had canonical names."""
        how = "detected" if self.detected else "as the plan says"
        mapped = ", ".join(f"{c} <- {h!r}" for c, h in self.mapping if c != h)
        if self.preset is CANONICAL and not mapped:
            return ""  # nothing to tell
        why = f"; {self.id_choice}" if self.id_choice else ""
        return f"read as {self.preset.title} ({how})" + (f"; mapped {mapped}" if mapped else "") + why


def detect(headers: Iterable[str]) -> Preset:
    """The preset whose signature the headers carry; canonical when none does."""
    keys = {_key(h) for h in headers}
    for preset in (HUBSPOT, SALESFORCE, LINKEDIN):
        if any(signature <= keys for signature in preset.signature):
            return preset
    return CANONICAL


def resolve(name: str, frame: pl.DataFrame, explicit: tuple[tuple[str, str], ...] = ()) -> Layout:
    """The column mapping for a file: the preset's labels that exist, with the plan's own entries on top."""
    if name not in PRESETS and name != "auto":
        raise AbmError(f'unknown preset "{name}"; expected auto or one of {", ".join(PRESETS)}')
    headers = frame.columns
    preset = detect(headers) if name == "auto" else PRESETS[name]
    by_key: dict[str, str] = {}
    for header in headers:
        by_key.setdefault(_key(header), header)
    for header in headers:  # `revenue ($M)`, `Employees (2023)`: a label with its unit or year in brackets
        by_key.setdefault(_key(_BRACKETED.sub("", header)), header)
    chosen = {canonical: found[0] for canonical, found in _found(preset, by_key, set(headers)).items()}
    why = ""
    if "account_id" not in headers and "account_id" not in dict(explicit):
        chosen.pop("account_id", None)
        choice = choose_id(frame, preset, by_key)
        if choice is not None:
            chosen["account_id"], why = choice.header, choice.why
    chosen.update(explicit)
    return Layout(preset, tuple(chosen.items()), detected=name == "auto", id_choice=why)


def _found(preset: Preset, by_key: Mapping[str, str], present: set[str]) -> dict[str, list[str]]:
    """Per canonical column the file lacks, the headers that could fill it, preferred first."""
    found: dict[str, list[str]] = {}
    for canonical, labels in preset.labels.items():
        if canonical in present:
            continue
        headers = list(dict.fromkeys(by_key[_key(label)] for label in labels if _key(label) in by_key))
        if headers:
            found[canonical] = headers
    return found


# --- which column is the id ---------------------------------------------------------------------------------------

_ID_WORDS = frozenset({"id", "ids", "uuid", "guid", "key", "permalink", "slug"})
_ID_KEYS = frozenset({"accountnumber", "customernumber", "recordnumber"})
_FLAG_WORDS = frozenset({"true", "false", "yes", "no", "y", "n", "t", "f", "0", "1", "x"})
_OWN_ID_BAD_SHARE = 0.5  # the layout's own id column is kept unless this share of its rows has no id of its own


@dataclass(frozen=True)
class IdChoice:
    header: str
    why: str  # for the load report: empty when the choice needs no word (the layout's id, every row named once)


def id_shaped(header: str) -> bool:
    """A header that names an id: `Id`, `Record ID`, `External_ID__c`, `hs_object_id`, `uuid`, `AccountNumber`,
    `permalink`; not `Paid`, `Idea` or `Red_Account__c` (words are split at case changes and punctuation)."""
    words = {word.lower() for word in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", header)}
    return bool(words & _ID_WORDS) or _key(header) in _ID_KEYS


def is_flag(column: pl.Series) -> bool:
    """A yes/no column (`Red_Account__c`, `Is Public`): never an id, and never offered as one."""
    if column.dtype == pl.Boolean:
        return True
    values = column.drop_nulls().head(10_000).unique()
    if column.dtype.is_integer():
        return sorted(values.to_list()) == [0, 1]
    if column.dtype != pl.String or not 0 < values.len() <= len(_FLAG_WORDS):
        return False
    return bool(values.str.strip_chars().str.to_lowercase().is_in(list(_FLAG_WORDS)).all())


def _bad_rows(column: pl.Series) -> int:
    """Rows the loader would drop with this column as the id: blank (or `n/a`-style) ids and every repeat."""
    ids = column if column.dtype.is_integer() else column.cast(pl.String).to_frame().select(
        blank_to_null(pl.col(column.name))).to_series()
    filled = ids.drop_nulls()
    return column.len() - filled.n_unique() if filled.len() else column.len()


def choose_id(frame: pl.DataFrame, preset: Preset, by_key: Mapping[str, str]) -> IdChoice | None:
    """The column to key the accounts by when the file has no `account_id`, and why, for the load report.

    1. The layout's own id column (a CRM layout's `Record ID` or `Id`, or any id label a plain table carries as
       such, `id` or `permalink`): kept despite a few blank or repeated cells, which are dropped and reported
       row by row. Switching the key to the company name would write names into a CRM's `Record ID` on import.
    2. Else the first column that names every row once: id-shaped headers (`External_ID__c`), then the everyday
       id labels (`Symbol`, `Ticker`: a ticker with blanks for private companies loses), then the name columns.
    3. Else the candidate that loses the fewest rows, named in the report with that count, so the planner can
       choose another with `--id` or `[data.columns]`. Yes/no flag columns are never candidates.
    """
    found = _found(preset, by_key, set())
    labels = [h for h in found.get("account_id", []) if h != "account_id" and not is_flag(frame.get_column(h))]
    own = [h for h in labels if preset is not CANONICAL or id_shaped(h)]
    shaped = [h for h in frame.columns if id_shaped(h) and h not in labels and not is_flag(frame.get_column(h))]
    names = [*found.get("name", []), *(["name"] if "name" in frame.columns else [])]
    candidates = list(dict.fromkeys([*own, *shaped, *labels, *names]))
    if not candidates:
        return None
    bad: dict[str, int] = {}
    for header in candidates:
        bad[header] = _bad_rows(frame.get_column(header))
        if header in own[:1] and bad[header] <= _OWN_ID_BAD_SHARE * frame.height:
            return IdChoice(header, "")
        if bad[header] == 0:
            passed = ", ".join(f"{h!r} ({_losses(bad[h])})" for h in bad if h != header and h in (*own, *shaped))
            return IdChoice(header, f"account_id is {header!r}, which names every row once; not {passed}"
                            if passed else "")
    best = min(candidates, key=lambda header: bad[header])
    return IdChoice(best, f"account_id is {best!r}, the column that names the most rows, but no column names every "
                          f"row once ({_losses(bad[best])}); choose another with --id or [data.columns]")


def _losses(bad: int) -> str:
    return f"{bad:,} {'row' if bad == 1 else 'rows'} blank or repeated"


def crm_stage_values(layout: Layout) -> Callable[[pl.Expr], pl.Expr] | None:
    """CRM values as the design's crm_stage words (`Customer - Direct` -> customer); None when not the preset's.

    Salesforce opportunity stages other than the closed ones mean an opportunity is open; any other value a
    CRM admin invented stays as it is, so no information is lost (the original column is kept as well).
    """
    header = dict(layout.mapping).get("crm_stage")
    values = None if header is None else layout.preset.stage_words(header)
    if values is None:
        return None

    def words(column: pl.Expr) -> pl.Expr:
        text = column.cast(pl.String)
        key = text.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")
        default = pl.lit(CrmStage.OPEN.value) if values is _SALESFORCE_STAGE else text
        mapped = key.replace_strict(dict(values), default=default, return_dtype=pl.String)
        return pl.when(key.is_null() | (key == "")).then(None).otherwise(mapped)

    return words
