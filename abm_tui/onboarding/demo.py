"""Deterministic synthetic accounts and engagement, so the tool can be tried and benchmarked without data.

The shape matters more than the values: most accounts are silent, a few are surging, some went quiet,
and CRM stages and opportunity sizes follow engagement and company size, so a demo plan finds
something worth acting on. Every column is drawn with NumPy and assembled with Polars gathers (no
loop over rows): 1M accounts with 20M events take about 12 s and 3 GB on two cores.

The accounts come from one child generator and the events from another, so the same seed gives
the same accounts whatever number of events is asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
import polars as pl

from abm_tui.files import write_with
from abm_tui.ingest.presets import WON, CrmStage

DEMO_AS_OF = dt.date(2026, 11, 20)
_WINDOW_DAYS = 180
_EVENTS_PER_ACCOUNT = 20

# --- accounts: vocabularies ---------------------------------------------------------------------

# industry, share (%), words that can follow the brand stem in a company name
_INDUSTRIES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("Software", 22, ("Software", "Systems", "Cloud", "Stack", "Analytics", "AI")),
    ("Financial Services", 11, ("Capital", "Financial", "Bank", "Advisors", "Insurance")),
    ("Healthcare", 9, ("Health", "Care", "Medical", "Bio", "Clinics")),
    ("Manufacturing", 8, ("Industries", "Manufacturing", "Components", "Materials", "Robotics")),
    ("Fintech", 7.5, ("Pay", "Ledger", "Finance", "Money", "Capital")),
    ("HR Tech", 6.5, ("People", "Talent", "HR", "Workforce", "Hire")),
    ("Logistics", 6, ("Logistics", "Freight", "Shipping", "Supply", "Cargo")),
    ("Retail", 6, ("Retail", "Market", "Goods", "Stores", "Commerce")),
    ("Professional Services", 6, ("Consulting", "Advisory", "Partners", "Associates", "Legal")),
    ("Education", 5, ("Learning", "Academy", "Education", "Learn", "Campus")),
    ("Media", 4, ("Media", "Studios", "Digital", "Publishing", "Creative")),
    ("Telecommunications", 3.5, ("Telecom", "Networks", "Mobile", "Connect", "Fiber")),
    ("Energy", 3, ("Energy", "Power", "Solar", "Grid", "Renewables")),
    ("Government", 2.5, ("Agency", "Authority", "Council", "Services", "Department")),
)
_GENERIC_WORDS = ("Labs", "Hub", "Works", "Group", "Technologies")
# Brand-like words always stay in the domain ("Kestrel Pay" -> kestrelpay.de); descriptive ones half the time.
_DOMAIN_WORDS = (
    "Labs", "Hub", "Works", "Cloud", "Stack", "AI", "Pay", "Ledger", "Money", "People", "Talent", "HR",
    "Hire", "Freight", "Cargo", "Bank", "Health", "Care", "Bio", "Market", "Goods", "Learn", "Academy",
    "Media", "Studios", "Digital", "Mobile", "Connect", "Fiber", "Power", "Solar", "Grid",
)
# The campaigns sell B2B marketing attribution, so these industries engage more (a visible fit signal).
_ICP_INDUSTRIES = ("Software", "Fintech", "HR Tech", "Professional Services", "Media")
_AGENCY_INDUSTRIES = ("Media", "Professional Services")

# About 700k brand stems (prefix + optional soft syllable + ending), so names and domains stay mostly
# unique at a million accounts.
_PREFIXES = (
    "Nor", "Kes", "Bright", "Ver", "Cal", "Dun", "Ash", "Bel", "Cor", "Dal", "El", "Fen", "Gar", "Hal", "Is",
    "Jun", "Kal", "Lum", "Mar", "Nov", "Or", "Pel", "Quin", "Ros", "Sol", "Tal", "Ul", "Val", "Wex", "Xan",
    "Yar", "Zen", "Ard", "Bram", "Cres", "Dor", "Ever", "Fal", "Glen", "Hav", "Ivo", "Jas", "Kin", "Lark",
    "Mer", "Nex", "Oak", "Pax", "Riv", "Stra", "Tor", "Umb", "Vel", "Wyn", "Alt", "Brix", "Clar", "Drift",
    "Em", "Fro", "Gal", "Hol", "Lin", "Mon", "Pra", "Sen", "Tri", "Vor", "Ab", "Cin", "Aur", "Bex", "Cael",
    "Delt", "Eld", "Flor", "Grav", "Hel", "Ith", "Jor", "Kor", "Lyn", "Mav", "Nim", "Ost", "Pyr", "Quar",
    "Ren", "Sab", "Thal", "Ven", "Wil", "Zor", "Arc", "Blu", "Cyr", "Dex", "Fin", "Gren", "Hux",
)
_MIDDLES = ("",) * 15 + tuple(consonant + vowel for consonant in "bdklmnrstvz" for vowel in "aeiou")
_ENDINGS = (
    "vexa", "trel", "well", "ly", "ora", "ix", "ent", "ara", "ion", "io", "ium", "ova", "ex", "is", "on",
    "an", "ar", "ta", "va", "za", "ko", "ra", "mo", "yn", "wood", "field", "stone", "gate", "bridge",
    "point", "line", "path", "peak", "crest", "wave", "fox", "hawk", "wise", "spark", "shift", "scale",
    "sight", "port", "nest", "mark", "loom", "leaf", "haven", "vale", "bay", "ford", "mont", "dale",
    "run", "lock", "rise", "tide", "ward", "ux", "ity", "era", "ela", "ina", "ona", "yx", "ano", "eno",
    "iva", "ica", "ada", "ia", "ius", "ant", "ist", "exa", "ero", "eon", "ari", "oro", "una", "stead",
    "crown", "forge", "bloom", "moor", "ridge", "brook", "light", "star", "stream", "yard", "mill", "wing",
    "root", "fall", "cove", "reach", "grove", "hurst", "worth",
)

# code, share (%), region, local TLD, legal suffixes
_COUNTRIES: tuple[tuple[str, float, str, str, tuple[str, ...]], ...] = (
    ("US", 45, "North America", ".com", ("Inc.", "LLC", "Corp.")),
    ("GB", 9, "EMEA", ".co.uk", ("Ltd", "plc")),
    ("DE", 7, "EMEA", ".de", ("GmbH", "AG")),
    ("CA", 5, "North America", ".ca", ("Inc.", "Ltd.")),
    ("FR", 5, "EMEA", ".fr", ("SAS", "SA")),
    ("AU", 4, "APAC", ".com.au", ("Pty Ltd",)),
    ("IN", 4, "APAC", ".in", ("Pvt Ltd",)),
    ("NL", 3.5, "EMEA", ".nl", ("B.V.",)),
    ("BR", 3, "LATAM", ".com.br", ("Ltda.",)),
    ("JP", 2.5, "APAC", ".jp", ("K.K.",)),
    ("IE", 2, "EMEA", ".ie", ("Ltd",)),
    ("SE", 2, "EMEA", ".se", ("AB",)),
    ("SG", 2, "APAC", ".sg", ("Pte Ltd",)),
    ("ES", 2, "EMEA", ".es", ("S.L.",)),
    ("IT", 2, "EMEA", ".it", ("S.r.l.", "S.p.A.")),
    ("MX", 1.5, "LATAM", ".mx", ("S.A. de C.V.",)),
    ("CH", 0.5, "EMEA", ".ch", ("AG", "GmbH")),
)
_REGIONS = ("North America", "EMEA", "APAC", "LATAM")
# Reps own territories, so an owner always matches the account's region.
_OWNERS = (
    ("Jordan Ellis", "Maya Thompson", "Chris Alvarez", "Priya Raman", "Derek Walsh"),
    ("Sophie Laurent", "Lukas Becker", "Hannah O'Neill", "Erik Lindqvist"),
    ("Aiko Tanaka", "Rahul Mehta"),
    ("Camila Rocha",),
)
# Ordered from small to large companies; the cut points come from these shares.
_FUNDING = (
    ("Bootstrapped", 14), ("Seed", 12), ("Series A", 16), ("Series B", 14), ("Series C", 11),
    ("Series D", 7), ("Series E+", 5), ("Private Equity", 10), ("Public", 11),
)
# tool, share, size elasticity (positive: more common at big companies)
_TOOLS = (
    ("Salesforce", 0.40, 0.6), ("HubSpot", 0.30, -0.6), ("Marketo", 0.10, 0.5), ("Pardot", 0.07, 0.3),
    ("Snowflake", 0.15, 0.6), ("BigQuery", 0.15, 0.3), ("Databricks", 0.15, 0.6), ("Segment", 0.10, 0.2),
    ("Outreach", 0.12, 0.4), ("Salesloft", 0.08, 0.4), ("Gong", 0.12, 0.5), ("6sense", 0.05, 0.8),
    ("Demandbase", 0.04, 0.8), ("Zendesk", 0.12, 0.2), ("Intercom", 0.10, -0.3), ("Slack", 0.30, 0.2),
    ("Microsoft Dynamics", 0.05, 0.6),
)
_MAX_TOOLS = 6

# Engagement classes. Codes index the tables below; silent is last because silent accounts have no rows.
_LOW, _STEADY, _STALLED, _SPIKING, _SILENT = range(5)
# Rows of a spiking account that fall before its burst: a row mode, never an account class.
_BACKGROUND = 4
_CLASS_SHARES = (  # low, steady, stalled, spiking, silent; row 0 outside the ICP, row 1 inside
    (0.20, 0.08, 0.07, 0.03, 0.62),
    (0.24, 0.12, 0.09, 0.07, 0.48),
)
_CLASS_ROW_WEIGHT = np.array([1.0, 10.0, 4.0, 6.0, 0.0])

_CRM_STAGES = (CrmStage.NONE, CrmStage.OPEN, CrmStage.CLOSED_WON, CrmStage.CLOSED_LOST, CrmStage.CHURNED,
               CrmStage.CUSTOMER)  # the draw's order: changing it changes every generated demo
_CRM_BY_CLASS = (  # one row per class, columns as _CRM_STAGES
    (0.800, 0.060, 0.015, 0.045, 0.020, 0.060),
    (0.620, 0.150, 0.050, 0.060, 0.020, 0.100),
    (0.720, 0.080, 0.030, 0.090, 0.030, 0.050),
    (0.520, 0.280, 0.080, 0.050, 0.010, 0.060),
    (0.855, 0.025, 0.006, 0.034, 0.020, 0.060),
)
_DEAL_STAGES = [_CRM_STAGES.index(stage) for stage in (CrmStage.OPEN, CrmStage.CLOSED_WON, CrmStage.CLOSED_LOST)]
_WON_CODES = [_CRM_STAGES.index(stage) for stage in WON]
# Who the demo's customers are: over-represented in two industries, two tools and mid-market and larger
# companies (odds multiply), so `abm-tui icp` on the demo has a profile to find.
_WON_INDUSTRIES = ("Fintech", "HR Tech")
_WON_INDUSTRY_ODDS = 4.0
_WON_TOOLS = (("Snowflake", 3.0), ("Gong", 2.5))
_WON_MIN_EMPLOYEES = 250  # the size the product is built for: a marketing team with its own ops
_WON_SIZE_ODDS = 2.5

# --- events: vocabularies -----------------------------------------------------------------------

_CHANNELS = (
    "ad_impression", "ad_click", "ad_engagement", "website_visit", "pricing_page_visit", "demo_request",
    "webinar", "email_open", "email_click", "content_download", "form_fill",
)
_IMPRESSION = 0
# Channel shares per row mode (columns as _CHANNELS). A burst is heavy on pricing and demo requests;
# weighted by the rows each mode gets, the whole file comes out near 45% impressions, 2.5% pricing
# page visits and 0.5% demo requests.
_CHANNEL_MIX = np.array([
    (0.560, 0.050, 0.070, 0.130, 0.006, 0.001, 0.013, 0.110, 0.025, 0.025, 0.010),  # low
    (0.449, 0.070, 0.080, 0.140, 0.016, 0.003, 0.020, 0.110, 0.040, 0.050, 0.022),  # steady
    (0.449, 0.070, 0.080, 0.140, 0.016, 0.003, 0.020, 0.110, 0.040, 0.050, 0.022),  # stalled
    (0.340, 0.090, 0.090, 0.190, 0.090, 0.020, 0.025, 0.065, 0.050, 0.020, 0.020),  # spiking burst
    (0.560, 0.050, 0.070, 0.130, 0.006, 0.001, 0.013, 0.110, 0.025, 0.025, 0.010),  # background
])
# Campaign family per channel: ads, email, content, webinar, web.
_ADS, _EMAIL, _CONTENT, _WEBINAR, _WEB = range(5)
_FAMILY = np.array([_ADS, _ADS, _ADS, _WEB, _WEB, _WEB, _WEBINAR, _EMAIL, _EMAIL, _CONTENT, _CONTENT])
# Web rows rarely say what the visitor was researching.
_THEME_NULL = np.where(_FAMILY == _WEB, 0.85, 0.0)
_PERSONA_NULL = np.array([0.9, 0.5, 0.4, 0.75, 0.6, 0.05, 0.1, 0.15, 0.1, 0.1, 0.05])

_THEMES = (
    "LinkedIn ROI attribution", "Pipeline influence", "CRM sync", "Account scoring", "Intent-led outreach",
    "Competitor comparison", "Agency reporting",
)
_THEME_SHARES = (  # row 0 most industries, row 1 agency-like ones
    (0.22, 0.20, 0.14, 0.14, 0.12, 0.12, 0.06),
    (0.18, 0.14, 0.08, 0.10, 0.10, 0.10, 0.30),
)
_PERSONAS = ("CMO / VP Marketing", "Demand Gen", "RevOps", "BDR / SDR Leader", "Sales Leadership", "Agency")
_PERSONA_SHARES = (0.15, 0.30, 0.18, 0.12, 0.15, 0.10)

_BURST_DAYS = 21
_MIN_STALL_DAYS = 41
_MAX_STALL_DAYS = 100


@dataclass(frozen=True)
class DemoSet:
    """The two files a planner would bring: accounts (one row per account) and engagement rows."""

    accounts: pl.DataFrame
    events: pl.DataFrame


@dataclass(frozen=True)
class _Profile:
    """Per-account draws the events need but the accounts frame does not show."""

    engagement: np.ndarray
    industry: np.ndarray


def generate(accounts: int, events: int | None = None, seed: int = 7, as_of: dt.date = DEMO_AS_OF) -> DemoSet:
    """events defaults to 20 * accounts: about 44 rows per engaged account, as most accounts are silent."""
    if accounts < 1:
        raise ValueError(f"accounts must be at least 1, got {accounts}")
    events = _EVENTS_PER_ACCOUNT * accounts if events is None else events
    if events < 0:
        raise ValueError(f"events must be 0 or more, got {events}")
    account_rng, event_rng = np.random.default_rng(seed).spawn(2)
    frame, profile = _accounts(account_rng, accounts)
    return DemoSet(frame, _events(event_rng, frame.get_column("account_id"), profile, events, as_of))


def write_demo_files(demo: DemoSet, out_dir: Path) -> tuple[Path, Path]:
    """Writes out_dir/accounts.csv and out_dir/engagement.parquet atomically; returns both paths."""
    flat = demo.accounts.with_columns(pl.col("tech_stack").list.join(";"))
    accounts_path = write_with(out_dir / "accounts.csv", flat.write_csv)
    events_path = write_with(out_dir / "engagement.parquet", demo.events.write_parquet)
    return accounts_path, events_path


# --- sampling helpers ---------------------------------------------------------------------------


DEMO_FILES = ("accounts.csv", "engagement.parquet", "plan.toml")
# The accounts file of each layout; engagement and plan keep their names.
LAYOUT_FILES = {"canonical": "accounts.csv", "hubspot": "hubspot-companies.csv", "salesforce": "salesforce-report.csv"}


def write_demo(out_dir: Path, accounts: int, events: int | None = None, seed: int = 7, *,
               force: bool = False, layout: str = "canonical") -> list[Path]:
    """A complete demo folder: the data files, a plan pointing at them, and three weekly snapshots.

    Files already there are a planner's work until they say otherwise (`force`), so nothing is
    replaced by default. In a CRM layout the plan is the one `abm-tui init` starts from those files,
    and the engagement names accounts as that CRM would let it: by company domain for HubSpot (so the
    matching is exercised), by Account ID for Salesforce.
    """
    from abm_tui.errors import AbmError
    from abm_tui.history.snapshots import list_snapshots
    from abm_tui.onboarding.demo_history import write_demo_history
    from abm_tui.plan.model import HistorySettings

    names = (LAYOUT_FILES[layout], *DEMO_FILES[1:])
    present = [out_dir / name for name in names if (out_dir / name).exists()]
    snapshots = list_snapshots(out_dir / HistorySettings.folder)
    present += [snapshot.path for snapshot in snapshots]
    if present and not force:
        raise AbmError(f"{present[0]}: already exists; choose an empty --out folder or pass --force to replace it")
    for snapshot in snapshots:
        snapshot.path.unlink()
    demo = generate(accounts, events, seed)
    if layout == "canonical":
        accounts_path, events_path = write_demo_files(demo, out_dir)
        written = [accounts_path, events_path, write_demo_plan(out_dir)]
    else:
        written = _write_crm_demo(demo, out_dir, layout, seed)
    return [*write_demo_history(written[-1], seed), *written]


def _write_crm_demo(demo: DemoSet, out_dir: Path, layout: str, seed: int) -> list[Path]:
    from abm_tui.files import write_text
    from abm_tui.onboarding import crm_layouts
    from abm_tui.onboarding.init import write_starter

    accounts_path = out_dir / LAYOUT_FILES[layout]
    if layout == "hubspot":
        write_with(accounts_path, crm_layouts.hubspot_export(demo.accounts, seed).write_csv)
        key = demo.accounts.select("account_id", pl.col("domain").alias("_key"))
        named_by = "domain"
    else:
        write_text(accounts_path, crm_layouts.salesforce_report(demo.accounts))
        key = demo.accounts.select("account_id", crm_layouts.salesforce_ids(demo.accounts.height).alias("_key"))
        named_by = "account_id"
    events = demo.events.join(key, on="account_id", how="left", maintain_order="left")
    events = events.select(pl.col("_key").alias(named_by), pl.exclude("account_id", "_key"))
    events_path = write_with(out_dir / DEMO_FILES[1], events.write_parquet)
    plan = write_starter(accounts_path, events_path, out_dir / DEMO_FILES[2], name=f"{layout.capitalize()} demo",
                         force=True)
    return [accounts_path, events_path, plan.path]


def write_demo_plan(out_dir: Path) -> Path:
    """The bundled default plan, pointed at the demo files in out_dir."""
    from dataclasses import replace

    from abm_tui.onboarding.bundled import demo_plan
    from abm_tui.plan.dump import save_plan
    from abm_tui.plan.model import DataSource
    from abm_tui.plan.parse import load_plan

    plan = replace(load_plan(demo_plan()), as_of=DEMO_AS_OF, data=DataSource(DEMO_FILES[0], DEMO_FILES[1], "auto"))
    return save_plan(plan, out_dir / DEMO_FILES[2])


def _draw(
    rng: np.random.Generator,
    weights: Sequence[float] | Sequence[Sequence[float]] | np.ndarray,
    size: int = 0,
    group: np.ndarray | None = None,
) -> np.ndarray:
    """int8 category codes with one weight row per group, so a conditional draw is still one call.

    The inverse CDF works in integers: exact, so a zero weight is never drawn and no code spills
    into the next group's row.
    """
    table = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    groups, width = table.shape
    scale = 1 << 32
    bounds = np.rint(np.cumsum(table / table.sum(axis=1, keepdims=True), axis=1) * scale).astype(np.int64)
    bounds[:, -1] = scale
    edges = (bounds + np.arange(groups, dtype=np.int64)[:, None] * scale).ravel()
    row = np.zeros(size, np.int64) if group is None else group.astype(np.int64)
    draws = row * scale + rng.integers(0, scale, row.size, dtype=np.int64)
    flat = np.searchsorted(edges, draws, side="right")
    return (flat - row * width).astype(np.int8)


def _pick(
    rng: np.random.Generator, options: Sequence[Sequence[str]], group: np.ndarray, none_share: float
) -> pl.Series:
    """Null with probability none_share, else a uniform choice among the options of the row's group."""
    width = 1 + max(map(len, options))
    weights: list[list[float]] = []
    values: list[str | None] = []
    for choices in options:
        pad = width - 1 - len(choices)
        weights.append([none_share, *[(1 - none_share) / len(choices)] * len(choices), *[0.0] * pad])
        values.extend([None, *choices, *[None] * pad])
    codes = _draw(rng, weights, group=group)
    return pl.Series(values, dtype=pl.String).gather(group.astype(np.int64) * width + codes)


def _labels(values: Sequence[str | None], codes: np.ndarray) -> pl.Series:
    return pl.Series(values, dtype=pl.String).gather(codes)


def _column(table: Sequence[tuple], index: int) -> list:
    return [row[index] for row in table]


# --- accounts -----------------------------------------------------------------------------------


def _accounts(rng: np.random.Generator, n: int) -> tuple[pl.DataFrame, _Profile]:
    industry = _draw(rng, _column(_INDUSTRIES, 1), n)
    country = _draw(rng, _column(_COUNTRIES, 1), n)
    region = np.array([_REGIONS.index(r) for r in _column(_COUNTRIES, 2)])[country]
    size_z = rng.standard_normal(n)
    employees = np.clip(np.rint(150 * np.exp(1.6 * size_z)), 1, 200_000).astype(np.int64)
    engagement = _engagement(rng, industry)
    crm = _draw(rng, _CRM_BY_CLASS, group=engagement)
    width = max(6, len(str(n)))
    ids = pl.int_range(1, n + 1, eager=True).cast(pl.String).str.zfill(width)
    names = _names(rng, industry, country)
    revenue, funding, tech = _revenue(rng, employees), _funding(rng, size_z), _tech_stack(rng, size_z)
    crm = _won_profile(rng.spawn(1)[0], crm, engagement, industry, tech, employees)
    frame = pl.DataFrame({
        "account_id": "A" + ids,
        "name": names.get_column("name"),
        "domain": names.get_column("domain"),
        "industry": _labels(_column(_INDUSTRIES, 0), industry),
        "employees": employees,
        "annual_revenue": revenue,
        "country": _labels(_column(_COUNTRIES, 0), country),
        "region": _labels(_REGIONS, region),
        "funding_stage": funding,
        "tech_stack": tech,
        "crm_stage": _labels(_CRM_STAGES, crm),
        "opportunity_amount": _opportunity(rng, employees, crm),
        "owner": _pick(rng, _OWNERS, region, none_share=0.10),
    })
    return frame, _Profile(engagement, industry)


def _won_profile(rng: np.random.Generator, crm: np.ndarray, engagement: np.ndarray, industry: np.ndarray,
                 tech: pl.Series, employees: np.ndarray) -> np.ndarray:
    """Give closed-won accounts a real profile, so `abm-tui icp` on the demo tells a story.

    The won accounts are chosen again, as many as were drawn, by weighted sampling without replacement
    (Efraimidis-Spirakis keys): each account's chance of winning for its engagement class, times the
    profile's odds (`_WON_INDUSTRIES`, `_WON_TOOLS`, `_WON_MIN_EMPLOYEES`). An account that loses its win
    swaps stages with one that gains it, so every stage keeps its count and won deals still follow engagement.
    """
    won = np.isin(crm, _WON_CODES)
    wins = int(won.sum())
    if wins == 0:
        return crm
    odds = np.where(_is_in(industry, _WON_INDUSTRIES) == 1, _WON_INDUSTRY_ODDS, 1.0)
    odds = odds * np.where(employees >= _WON_MIN_EMPLOYEES, _WON_SIZE_ODDS, 1.0)
    for tool, tool_odds in _WON_TOOLS:
        odds = odds * np.where(tech.list.contains(tool).fill_null(False).to_numpy(), tool_odds, 1.0)
    weight = np.asarray(_CRM_BY_CLASS)[:, _WON_CODES].sum(axis=1)[engagement] * odds
    keys = np.log(rng.random(crm.size)) / weight
    chosen = np.zeros(crm.size, dtype=bool)
    chosen[np.argpartition(-keys, wins - 1)[:wins]] = True
    leaving, joining = np.flatnonzero(won & ~chosen), np.flatnonzero(chosen & ~won)
    profiled = crm.copy()
    profiled[leaving], profiled[joining] = crm[joining], crm[leaving]
    return profiled


def _engagement(rng: np.random.Generator, industry: np.ndarray) -> np.ndarray:
    """Engagement class per account; never all silent, or the requested events would have no home."""
    engagement = _draw(rng, _CLASS_SHARES, group=_is_in(industry, _ICP_INDUSTRIES))
    if (engagement == _SILENT).all():
        engagement[0] = _LOW
    return engagement


def _is_in(industry: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """0/1 per account, usable as a group for _draw."""
    return np.isin(industry, [_column(_INDUSTRIES, 0).index(name) for name in names]).astype(np.int64)


def _names(rng: np.random.Generator, industry: np.ndarray, country: np.ndarray) -> pl.DataFrame:
    """Stem + optional industry word + optional legal suffix; domains are unique, numbered if need be."""
    n = industry.size
    words = [(*w, *_GENERIC_WORDS) for w in _column(_INDUSTRIES, 2)]
    local_tld = np.array(_column(_COUNTRIES, 3))
    tld_vocab = [".com", ".io", *dict.fromkeys(local_tld)]
    local_code = np.array([tld_vocab.index(t) for t in local_tld])[country]
    kind = _draw(rng, [0.42, 0.08, 0.50], n)  # .com, .io, the country's own
    syllables = (_PREFIXES, _MIDDLES, _ENDINGS)
    stem = pl.concat_str([_labels(s, rng.integers(0, len(s), n)) for s in syllables])
    word = pl.col("word")
    parts = pl.DataFrame({
        "word": _pick(rng, words, industry, none_share=0.30),
        "legal": _pick(rng, _column(_COUNTRIES, 4), country, none_share=0.55),
        "tld": _labels(tld_vocab, np.where(kind == 2, local_code, kind)),
        "keep_word": rng.random(n) < 0.5,
    }).with_columns(stem=stem)
    domain_word = pl.when(word.is_in(_DOMAIN_WORDS) | pl.col("keep_word")).then(word)
    parts = parts.with_columns(base=pl.concat_str("stem", domain_word, ignore_nulls=True).str.to_lowercase())
    # Bases are letters only, so "<base><n><tld>" can never meet another account's domain.
    repeat = pl.col("repeat")
    number = pl.when(repeat > 0).then((repeat + 1).cast(pl.String))
    return parts.with_columns(repeat=pl.int_range(pl.len()).over("base", "tld")).select(
        pl.concat_str("stem", "word", "legal", separator=" ", ignore_nulls=True).alias("name"),
        pl.concat_str("base", number, "tld", ignore_nulls=True).alias("domain"),
    )


def _revenue(rng: np.random.Generator, employees: np.ndarray) -> pl.Series:
    per_head = np.exp(rng.normal(np.log(210_000), 0.22, employees.size))
    revenue = np.rint(employees * per_head / 1000) * 1000
    revenue[rng.random(employees.size) < 0.03] = np.nan
    return pl.Series(revenue, nan_to_null=True).cast(pl.Int64)


def _funding(rng: np.random.Generator, size_z: np.ndarray) -> pl.Series:
    """Bigger companies sit at later stages: a noisy size score cut at the shares' normal quantiles."""
    noise = 0.7
    score = size_z + rng.normal(0, noise, size_z.size)
    shares = np.array(_column(_FUNDING, 1), dtype=np.float64)
    cuts = [NormalDist(0, (1 + noise**2) ** 0.5).inv_cdf(q) for q in np.cumsum(shares / shares.sum())[:-1]]
    stage = np.searchsorted(cuts, score)
    stage[rng.random(size_z.size) < 0.05] = len(_FUNDING)
    return _labels([*_column(_FUNDING, 0), None], stage)


def _tech_stack(rng: np.random.Generator, size_z: np.ndarray) -> pl.Series:
    """Independent adoption per tool, tilted by size, capped at six in table order."""
    taken = np.zeros(size_z.size, np.int8)
    flags = {}
    for tool, share, elasticity in _TOOLS:
        adopts = rng.random(size_z.size) < np.minimum(share * np.exp(0.35 * elasticity * size_z), 0.95)
        flags[tool] = adopts & (taken < _MAX_TOOLS)
        taken += flags[tool]
    # Joining then splitting is several times faster than concat_list + drop_nulls.
    named = [pl.when(tool).then(pl.lit(tool)) for tool in flags]
    joined = pl.concat_str(named, separator=";", ignore_nulls=True)
    stack = pl.when(joined == "").then(pl.lit([], pl.List(pl.String))).otherwise(joined.str.split(";"))
    return pl.DataFrame(flags).select(stack.alias("tech_stack")).to_series()


def _opportunity(rng: np.random.Generator, employees: np.ndarray, crm: np.ndarray) -> pl.Series:
    median = 30_000 * employees**0.22
    amount = np.rint(median * np.exp(rng.normal(0, 0.45, employees.size)) / 500) * 500
    amount[~np.isin(crm, _DEAL_STAGES)] = np.nan
    return pl.Series(amount, nan_to_null=True)


# --- events -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Habits:
    """What each account tends to do: favourite themes, its buying committee, when it went quiet."""

    theme: np.ndarray
    second_theme: np.ndarray
    persona_start: np.ndarray
    committee: np.ndarray
    stall_age: np.ndarray
    background: np.ndarray
    rows: np.ndarray


def _habits(rng: np.random.Generator, profile: _Profile, events: int) -> _Habits:
    n = profile.engagement.size
    theme = _draw(rng, _THEME_SHARES, group=_is_in(profile.industry, _AGENCY_INDUSTRIES))
    other = (theme + rng.integers(1, len(_THEMES), n)) % len(_THEMES)
    weight = _CLASS_ROW_WEIGHT[profile.engagement] * rng.lognormal(0, 0.5, n)
    return _Habits(
        theme=theme,
        second_theme=np.where(rng.random(n) < 0.5, other, theme),
        persona_start=_draw(rng, _PERSONA_SHARES, n),
        committee=rng.integers(1, 5, n),
        stall_age=rng.integers(_MIN_STALL_DAYS, _MAX_STALL_DAYS + 1, n),
        # Half the spiking accounts are new to the market; the rest had a little activity before.
        background=np.where(rng.random(n) < 0.5, 0.0, 0.2),
        rows=rng.multinomial(events, weight / weight.sum()),
    )


def _events(
    rng: np.random.Generator, ids: pl.Series, profile: _Profile, events: int, as_of: dt.date
) -> pl.DataFrame:
    habits = _habits(rng, profile, events)
    account = np.repeat(np.arange(ids.len(), dtype=np.int32), habits.rows)
    mode = profile.engagement[account]
    mode[(mode == _SPIKING) & (rng.random(events) < habits.background[account])] = _BACKGROUND
    age = _ages(rng, mode, habits.stall_age, account)
    channel = _draw(rng, _CHANNEL_MIX, group=mode)
    theme = _themes(rng, channel, habits, account)
    epoch_day = (as_of - dt.date(1970, 1, 1)).days
    return pl.DataFrame({
        "account_id": ids.gather(account),
        "date": pl.Series(epoch_day - age, dtype=pl.Int32).cast(pl.Date),
        "channel": _labels(_CHANNELS, channel),
        "campaign": _labels(_campaigns(as_of), _campaign_codes(channel, theme)),
        "intent_theme": _labels([*_THEMES, None], theme),
        "persona": _labels([*_PERSONAS, None], _personas(rng, channel, habits, account)),
        "count": pl.Series(_counts(rng, channel), dtype=pl.Int32),
    })


def _ages(
    rng: np.random.Generator, mode: np.ndarray, stall_age: np.ndarray, account: np.ndarray
) -> np.ndarray:
    """Days before as_of (0 = as_of itself): uniform back from a mode's first day, or a recent burst."""
    first = np.array([0, 0, 0, 0, _BURST_DAYS], dtype=np.int32)[mode]
    stalled = mode == _STALLED
    first[stalled] = stall_age[account[stalled]]
    age = rng.integers(first, _WINDOW_DAYS, dtype=np.int32)
    burst = mode == _SPIKING
    age[burst] = _BURST_DAYS * rng.random(np.count_nonzero(burst)) ** 1.25
    return age


def _themes(
    rng: np.random.Generator, channel: np.ndarray, habits: _Habits, account: np.ndarray
) -> np.ndarray:
    """Mostly the account's favourites, so its top theme means something; null code = len(_THEMES)."""
    u = rng.random(channel.size)
    theme = habits.theme[account]
    second = (u >= 0.55) & (u < 0.80)
    theme[second] = habits.second_theme[account[second]]
    other = u >= 0.80
    theme[other] = rng.integers(0, len(_THEMES), np.count_nonzero(other))
    theme[rng.random(channel.size) < _THEME_NULL[channel]] = len(_THEMES)
    return theme


def _campaigns(as_of: dt.date) -> list[str]:
    """Index 0 is the website; then one campaign per (family, theme), as _campaign_codes numbers them."""
    quarter = f"FY{as_of.year % 100:02d} Q{(as_of.month - 1) // 3 + 1}"
    formats = (f"{quarter} | {{}} | Sponsored content", "Nurture | {} | Email", "Content | {} | Guide",
               "Webinar | {} | Live session")
    return ["Website", *(f.format(theme) for f in formats for theme in _THEMES)]


def _campaign_codes(channel: np.ndarray, theme: np.ndarray) -> np.ndarray:
    family = _FAMILY[channel]
    return np.where(family == _WEB, 0, 1 + family * len(_THEMES) + theme)


def _personas(
    rng: np.random.Generator, channel: np.ndarray, habits: _Habits, account: np.ndarray
) -> np.ndarray:
    """A persona from the account's committee (a run of adjacent personas); null code = len(_PERSONAS)."""
    seat = (rng.random(channel.size) * habits.committee[account]).astype(np.int8)
    persona = (habits.persona_start[account] + seat) % len(_PERSONAS)
    persona[rng.random(channel.size) < _PERSONA_NULL[channel]] = len(_PERSONAS)
    return persona


def _counts(rng: np.random.Generator, channel: np.ndarray) -> np.ndarray:
    """Impressions 1-40 (skewed low); anything else mostly 1, sometimes 2 or 3."""
    u = rng.random(channel.size)
    count = 1 + (u > 0.82).astype(np.int32) + (u > 0.95)
    impression = channel == _IMPRESSION
    count[impression] = 1 + 40 * u[impression] ** 3
    return count
