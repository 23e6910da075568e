"""The demo's people: a contacts file for the demo accounts, shaped like a real CRM's contact export.

Target-like accounts (in the demo plan's industries, or mid-market and up: every account the demo plan can put in a
tier) get 2 to 15 contacts, more for bigger companies; the rest a couple at most.
Titles come in the styles real exports mix ("VP, Demand Generation", "Vice President of Marketing",
"Sr. Mgr, RevOps & Systems", "mktg mgr"), in German, French or Spanish at accounts in those countries, some
blank and a few no table reads ("Evangelist"). Some rows carry no account id and must be matched by the email's
domain or the company name, and a few match nothing (strangers at companies the accounts file lacks), so the
load report has something to say about each.

Drawn from the accounts frame alone with a generator of its own, so the accounts and events of a seed are the
same with or without contacts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from abm_tui.files import write_with

CONTACTS_FILE = "contacts.csv"
_SEED_SALT = 17  # the contacts' own stream: np.random.default_rng([seed, _SEED_SALT])

_FIRST = (
    "James", "Maria", "Robert", "Linda", "Michael", "Sarah", "David", "Emily", "Daniel", "Jessica", "Chris",
    "Ashley", "Kevin", "Priya", "Arjun", "Wei", "Mei", "Kenji", "Yuki", "Omar", "Fatima", "Lukas", "Anna",
    "Jonas", "Lena", "Pierre", "Camille", "Julien", "Chloé", "Carlos", "Lucía", "Javier", "Sofía", "Olivia",
    "Noah", "Emma", "Liam", "Ava", "Ethan", "Mia", "Lars", "Ingrid", "Giulia", "Marco", "João", "Ana",
)
_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Martinez", "Lopez", "Wilson",
    "Anderson", "Taylor", "Thomas", "Moore", "Patel", "Shah", "Kumar", "Chen", "Wang", "Li", "Tanaka", "Sato",
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Martin", "Bernard", "Dubois", "Moreau", "Fernández",
    "González", "Rodríguez", "Sánchez", "O'Brien", "Murphy", "Kelly", "Andersson", "Rossi", "Silva", "Costa",
    "Nguyen", "Kim", "Park", "de Vries", "Jansen",
)

# (title, weight): the styles exports mix, in English; what the classifier and the seeds' personas read.
_TITLES_EN: tuple[tuple[str, float], ...] = (
    ("Chief Marketing Officer", 2), ("CMO", 1.5), ("VP Marketing", 2), ("VP, Marketing", 1.5),
    ("Vice President of Marketing", 1.5), ("SVP, Global Marketing", 0.5), ("Head of Marketing", 2),
    ("VP, Demand Generation", 1.5), ("Director of Demand Generation", 2), ("Demand Gen Manager", 2.5),
    ("Sr. Manager, Demand Generation", 1.5), ("Growth Marketing Lead", 1.5), ("ABM Manager", 1),
    ("Marketing Manager", 3), ("mktg mgr", 0.5), ("Product Marketing Manager", 2), ("Content Marketing Specialist", 2),
    ("Marketing & Events Coordinator", 1), ("Field Marketing Manager, EMEA", 1), ("Brand Director", 0.7),
    ("Head of RevOps", 1.5), ("Director, Revenue Operations", 1.5), ("Revenue Operations Manager", 2),
    ("Sr. Mgr, RevOps & Systems", 1), ("Marketing Operations Manager", 1.5), ("Salesforce Administrator", 1),
    ("Sales Ops Analyst", 1), ("Chief Revenue Officer", 1), ("CRO", 0.5), ("VP of Sales", 2),
    ("SVP Sales, North America", 0.7), ("Head of Sales", 1.5), ("Sales Director", 2), ("Regional Sales Manager", 2),
    ("Account Executive", 4), ("Senior Account Executive", 2), ("Enterprise AE", 1), ("SDR Manager", 1.5),
    ("Director of Sales Development", 1), ("BDR Team Lead", 1), ("Sales Development Representative", 3),
    ("BDR", 1.5), ("Customer Success Manager", 2), ("CEO", 1.5), ("Co-Founder & CEO", 1), ("COO", 0.7),
    ("CFO", 1), ("Finance Director", 1), ("Controller", 0.7), ("CTO", 1), ("VP Engineering", 1),
    ("Software Engineer", 2), ("IT Manager", 1), ("Product Manager", 1.5), ("HR Business Partner", 1),
    ("Talent Acquisition Lead", 0.7), ("Executive Assistant", 0.7),
)
# Titles at an agency the account works with: the seeds' Agencies persona.
_TITLES_AGENCY: tuple[tuple[str, float], ...] = (
    ("Agency Account Director", 1), ("Client Services Director", 1), ("Client Partner", 1),
)
# What no table reads: a planner adds [[titles]] for them, and the load report lists them.
_TITLES_ODD: tuple[tuple[str, float], ...] = (
    ("Growth Ninja", 1), ("Chief Happiness Officer", 0.5), ("Evangelist", 1), ("Rockstar", 0.5), ("Member", 1),
)
_TITLES_DE: tuple[tuple[str, float], ...] = (
    ("Leiter Marketing", 2), ("Leiterin Marketing", 1), ("Marketingleiter", 1), ("Vertriebsleiter", 2),
    ("Geschäftsführer", 1.5), ("Geschäftsführerin", 0.7), ("Key Account Manager", 2), ("Teamleiter Vertrieb", 1),
    ("Referent Marketing", 1), ("Leiter IT", 1),
)
_TITLES_FR: tuple[tuple[str, float], ...] = (
    ("Directeur commercial", 2), ("Directrice marketing", 1.5), ("Responsable marketing", 2),
    ("Chef de produit", 1), ("Directeur général", 1), ("Chargée de communication", 1), ("Ingénieur commercial", 1),
)
_TITLES_ES: tuple[tuple[str, float], ...] = (
    ("Director de Marketing", 1.5), ("Directora Comercial", 1.5), ("Jefe de ventas", 2),
    ("Gerente de Marketing", 1.5), ("Ejecutivo de cuentas", 2), ("Director General", 1),
)
_LOCAL = {"DE": _TITLES_DE, "AT": _TITLES_DE, "CH": _TITLES_DE, "FR": _TITLES_FR, "ES": _TITLES_ES,
          "MX": _TITLES_ES}
_LOCAL_SHARE = 0.5  # of the people at an account in those countries, how many have a title in its language

_CORE = ("Fintech", "HR Tech", "Logistics", "Software", "Financial Services", "Professional Services")
_MID_MARKET = 200  # employees: any account this big may be a target whatever its industry
_AGENCY_SHARE = 0.03
_ODD_SHARE = 0.03
_NO_TITLE = 0.08
_NO_ACCOUNT_ID = 0.30  # matched by the email's domain, else the company name
_FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com")
_STRANGERS = 0.02  # people at companies not among the accounts, on top of the accounts' own


def demo_contacts(accounts: pl.DataFrame, seed: int = 7) -> pl.DataFrame:
    """One row per person: contact_id, account_id (blank on some rows), first_name, last_name, email, job_title,
    company, country."""
    rng = np.random.default_rng([seed, _SEED_SALT])
    n = accounts.height
    employees = accounts.get_column("employees").to_numpy()
    # not the CRM stage: people drawn where deals are would make contacts look like a cause of winning to `icp`
    target = accounts.get_column("industry").is_in(_CORE).to_numpy() | (employees >= _MID_MARKET)
    big = np.clip(np.log10(np.maximum(employees, 1)) - 1.5, 0, 2.5) / 2.5  # 0 at 30 people, 1 at 10,000
    many = np.rint(2 + 13 * np.clip(big * rng.random(n) * 1.4, 0, 1)).astype(np.int64)
    few = rng.choice([0, 0, 0, 1, 2], n)
    counts = np.where(target, many, few)
    rows = np.repeat(np.arange(n), counts)
    people = accounts.select(pl.all().gather(rows))
    m = people.height
    first = pl.Series(_FIRST).gather(rng.integers(0, len(_FIRST), m))
    last = pl.Series(_LAST).gather(rng.integers(0, len(_LAST), m))
    frame = people.select(
        "account_id",
        pl.Series("first_name", first),
        pl.Series("last_name", last),
        "domain", pl.col("name").alias("company"), "country",
    ).with_columns(_titles(rng, people.get_column("country")).alias("job_title"))
    return _with_emails(rng, frame).select(
        "contact_id", "account_id", "first_name", "last_name", "email", "job_title", "company", "country")


def _draw_titles(rng: np.random.Generator, table: tuple[tuple[str, float], ...], m: int) -> pl.Series:
    weights = np.array([w for _, w in table])
    return pl.Series([t for t, _ in table]).gather(rng.choice(len(table), m, p=weights / weights.sum()))


def _titles(rng: np.random.Generator, country: pl.Series) -> pl.Series:
    """English titles; a local one at accounts in German, French and Spanish speaking countries; agency, odd and
    blank titles at their shares."""
    m = country.len()
    title = _draw_titles(rng, _TITLES_EN, m)
    local = rng.random(m) < _LOCAL_SHARE
    for code in dict.fromkeys(_LOCAL):
        here = (country == code).to_numpy() & local
        title = title.scatter(np.flatnonzero(here), _draw_titles(rng, _LOCAL[code], int(here.sum())))
    kind = rng.random(m)
    agency = kind < _AGENCY_SHARE
    odd = (kind >= _AGENCY_SHARE) & (kind < _AGENCY_SHARE + _ODD_SHARE)
    title = title.scatter(np.flatnonzero(agency), _draw_titles(rng, _TITLES_AGENCY, int(agency.sum())))
    title = title.scatter(np.flatnonzero(odd), _draw_titles(rng, _TITLES_ODD, int(odd.sum())))
    return title.scatter(np.flatnonzero(rng.random(m) < _NO_TITLE), None)


def _with_emails(rng: np.random.Generator, frame: pl.DataFrame) -> pl.DataFrame:
    """first.last@, flast@ or first@ the account's domain; some blank, at a free-mail provider or without `@`;
    a share of rows without their account id; and a few strangers (copies at companies the accounts file does
    not hold), added on top so each account keeps the people it drew."""
    m = frame.height
    local = pl.col("first_name").str.to_lowercase().str.normalize("NFKD").str.replace_all(r"[^a-z]", "")
    surname = pl.col("last_name").str.to_lowercase().str.normalize("NFKD").str.replace_all(r"[^a-z]", "")
    style = pl.Series(rng.choice(3, m, p=[0.6, 0.25, 0.15]))
    user = (pl.when(style == 0).then(pl.concat_str(local, pl.lit("."), surname))
            .when(style == 1).then(pl.concat_str(local.str.slice(0, 1), surname)).otherwise(local))
    fate = pl.Series(rng.choice(4, m, p=[0.92, 0.04, 0.03, 0.01]))
    free = pl.Series(_FREE_MAIL).gather(rng.integers(0, len(_FREE_MAIL), m))
    email = (pl.when(fate == 1).then(pl.lit(None, pl.String))
             .when(fate == 2).then(pl.concat_str(user, pl.lit("@"), free))
             .when(fate == 3).then(pl.concat_str(user, pl.lit(" at "), pl.col("domain")))
             .otherwise(pl.concat_str(user, pl.lit("@"), pl.col("domain"))))
    no_id = pl.Series(rng.random(m) < _NO_ACCOUNT_ID)
    people = frame.with_columns(
        email.alias("email"),
        pl.when(no_id).then(pl.lit(None, pl.String)).otherwise(pl.col("account_id")).alias("account_id"),
    )
    strangers = people.filter(pl.Series(rng.random(m) < _STRANGERS)).with_columns(
        pl.format("{}.{}@nowhere{}.net", pl.col("first_name").str.to_lowercase(),
                  pl.col("last_name").str.to_lowercase(), pl.int_range(pl.len()).cast(pl.String)).alias("email"),
        pl.lit(None, pl.String).alias("account_id"),
        pl.format("Nowhere {}", pl.int_range(pl.len()).cast(pl.String)).alias("company"),
    )
    ids = pl.format("C{}", pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(7)).alias("contact_id")
    return pl.concat([people, strangers]).with_columns(ids)


def write_demo_contacts(accounts: pl.DataFrame, out_dir: Path, seed: int = 7) -> Path:
    """out_dir/contacts.csv, written atomically."""
    return write_with(out_dir / CONTACTS_FILE, demo_contacts(accounts, seed).write_csv)
