"""The people at the accounts: a contacts file read like the accounts file, each contact tied to its account.

A HubSpot contacts export and a Salesforce contact report are recognised by their headers (matched without
regard to case or spacing, as account presets are); a plain table may use the canonical names. A contact is
matched to an account by `account_id`, else the company domain or the email's domain, else the company name, by
the same matcher as engagement (`matching.match_events`), so a domain shared by two accounts is never guessed at.
An email at a free-mail provider says nothing about the employer and is never used as a domain.

Nothing is dropped silently: unmatched contacts are kept in the report with a reason and their spreadsheet row,
repeats of an email after its first row are listed by row, and emails without an `@` are counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from abm_tui.errors import AbmError
from abm_tui.ingest import presets, readers
from abm_tui.ingest.cleaning import bare_domain, blank_to_null
from abm_tui.ingest.load import DroppedRow, column_hint, listed
from abm_tui.ingest.matching import MatchReport, match_events
from abm_tui.ingest.titles import TitleRule, Titles, read_titles

# Providers whose addresses belong to people, not companies: a gmail.com address matches no account.
FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "yahoo.es", "ymail.com",
    "hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "hotmail.es", "outlook.com", "outlook.de",
    "outlook.fr", "live.com", "live.co.uk", "live.fr", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com",
    "protonmail.com", "proton.me", "pm.me", "gmx.de", "gmx.net", "gmx.com", "gmx.at", "gmx.ch", "web.de",
    "t-online.de", "freenet.de", "orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr", "libero.it",
    "virgilio.it", "tiscali.it", "terra.com.br", "uol.com.br", "bol.com.br", "qq.com", "163.com", "126.com",
    "sina.com", "yandex.ru", "yandex.com", "mail.ru", "rambler.ru", "zoho.com", "fastmail.com", "hey.com",
    "tutanota.com", "rediffmail.com", "naver.com", "daum.net", "seznam.cz", "wp.pl", "o2.pl", "onet.pl",
    "btinternet.com", "sky.com", "comcast.net", "verizon.net", "att.net", "sbcglobal.net", "bigpond.com",
    "shaw.ca", "rogers.com", "telus.net", "bluewin.ch",
})

CONTACT_COLUMNS = ("contact_id", "account_id", "email", "first_name", "last_name", "job_title", "domain", "company",
                   "country")

HUBSPOT_CONTACTS = presets.Preset(
    "hubspot",
    "HubSpot contacts export",
    {
        "contact_id": ("Record ID", "Contact ID", "hs_object_id", "vid"),
        "account_id": ("Associated Company ID", "Primary Associated Company ID", "associatedcompanyid",
                       "Company ID"),
        "email": ("Email", "email"),
        "first_name": ("First Name", "firstname"),
        "last_name": ("Last Name", "lastname"),
        "job_title": ("Job Title", "jobtitle"),
        "domain": ("Company Domain Name", "Website URL", "website"),
        "company": ("Company Name", "Associated Company", "company"),
        "country": ("Country/Region", "Country", "country"),
    },
    (
        frozenset({"recordid", "firstname", "lastname", "email"}),
        frozenset({"firstname", "lastname", "jobtitle"}),
        frozenset({"hsobjectid", "email"}),
        frozenset({"email", "associatedcompanyid"}),
    ),
)

SALESFORCE_CONTACTS = presets.Preset(
    "salesforce",
    "Salesforce contact report",
    {
        "contact_id": ("Contact ID", "Id", "Contact ID (18)"),
        "account_id": ("Account ID", "AccountId", "Account ID (18)"),
        "email": ("Email", "Email Address"),
        "first_name": ("First Name", "FirstName"),
        "last_name": ("Last Name", "LastName"),
        "job_title": ("Title", "Job Title"),
        "domain": ("Website", "Account Website", "Account.Website"),
        "company": ("Account Name", "Account.Name", "Account"),
        "country": ("Mailing Country", "MailingCountry", "Country"),
    },
    (
        frozenset({"contactid", "accountname"}),
        frozenset({"firstname", "lastname", "title", "accountname"}),
        frozenset({"firstname", "lastname", "title", "accountid"}),
    ),
)

CANONICAL_CONTACTS = presets.Preset(
    "canonical",
    "a plain contacts table",
    {
        "contact_id": ("id", "Contact ID", "person_id"),
        "email": ("Email", "E-mail", "Email Address", "Work Email", "Business Email"),
        "first_name": ("First Name", "firstname", "Given Name", "Vorname", "Prénom", "Nombre"),
        "last_name": ("Last Name", "lastname", "Surname", "Family Name", "Nachname", "Nom", "Apellido"),
        "job_title": ("Title", "Job Title", "jobtitle", "Position", "Role", "Designation", "Funktion", "Poste",
                      "Cargo"),
        "domain": ("Company Domain", "Company Website", "Website", "Company Domain Name"),
        "company": ("Company", "Company Name", "Organization", "Organisation", "Account Name", "Employer", "Firma",
                    "Entreprise", "Empresa"),
        "country": ("Country", "Country/Region"),
    },
)

CONTACT_PRESETS = {p.name: p for p in (HUBSPOT_CONTACTS, SALESFORCE_CONTACTS, CANONICAL_CONTACTS)}
_KEYS = ("account_id", "domain", "email", "company")


@dataclass(frozen=True)
class ContactReport:
    """What happened to the contacts file, for the load summary and `validate`."""

    contacts_file: str
    rows_read: int
    layout: str
    match: MatchReport = field(compare=False)
    duplicates: tuple[DroppedRow, ...] = ()
    titles: Titles | None = field(default=None, compare=False)
    bad_emails: int = 0
    free_mail: int = 0
    notes: tuple[str, ...] = ()

    def summary(self) -> list[str]:
        kept = self.rows_read - len(self.duplicates)
        lines = [f"{self.contacts_file}: {self.rows_read:,} contacts read, {kept:,} kept"]
        lines += [f"  {self.layout}"] if self.layout else []
        lines += [f"  {note}" for note in self.notes]
        if self.duplicates:
            lines.append(f"  dropped {len(self.duplicates):,} contacts repeating an earlier row's email "
                         "(the first row of each is kept):")
            lines += [f"    {line}" for line in listed(self.duplicates)]
        if self.bad_emails:
            lines.append(f"  {self.bad_emails:,} emails have no @ and were not used to match")
        if self.free_mail:
            lines.append(f"  {self.free_mail:,} emails at free-mail providers (gmail.com, ...) do not name a company")
        ways = ((self.match.by_id, "id"), (self.match.by_domain, "domain"), (self.match.by_name, "company name"))
        parts = ", ".join(f"{count:,} by {way}" for count, way in ways if count) or "none"
        left = self.match.rows - self.match.matched
        lines.append(f"  contacts matched to accounts: {self.match.matched:,} of {self.match.rows:,} ({parts})"
                     + (f"; {left:,} unmatched" if left else ""))
        lines += [f"  {line}" for line in self.match.summary()[1:]]
        lines += [f"  {line}" for line in (self.titles.summary() if self.titles else [])]
        return lines


@dataclass(frozen=True)
class Contacts:
    """Matched contacts (one row each, `_row` their account's row in the accounts frame) and the report."""

    frame: pl.DataFrame
    report: ContactReport = field(compare=False)


def detect(headers: list[str]) -> presets.Preset:
    """The contact layout whose signature the headers carry; the plain table when none does."""
    keys = {presets._key(header) for header in headers}
    for preset in (HUBSPOT_CONTACTS, SALESFORCE_CONTACTS):
        if any(signature <= keys for signature in preset.signature):
            return preset
    return CANONICAL_CONTACTS


def layout(frame: pl.DataFrame, preset: str = "auto", explicit: tuple[tuple[str, str], ...] = ()) -> presets.Layout:
    """The header behind each canonical contact column: the preset's labels found, the plan's entries on top."""
    if preset not in CONTACT_PRESETS and preset != "auto":
        raise AbmError(f'unknown contacts preset "{preset}"; expected auto or one of {", ".join(CONTACT_PRESETS)}')
    chosen = detect(frame.columns) if preset == "auto" else CONTACT_PRESETS[preset]
    by_key: dict[str, str] = {}
    for header in frame.columns:
        by_key.setdefault(presets._key(header), header)
    found = presets._found(chosen, by_key, set(frame.columns))
    mapping = {canonical: headers[0] for canonical, headers in found.items()} | dict(explicit)
    return presets.Layout(chosen, tuple(mapping.items()), detected=preset == "auto")


def load_contacts(path: Path, accounts: pl.DataFrame, mapping: tuple[tuple[str, str], ...] = (),
                  preset: str = "auto", sheet: str | None = None, title_rules: tuple[TitleRule, ...] = ()) -> Contacts:
    """Read, map, clean, drop repeated emails (listed), match to `accounts` and read the titles."""
    table = readers.read_table(path, sheet)
    chosen = layout(table.frame, preset, mapping)
    for canonical, header in chosen.mapping:
        if header not in table.frame.columns:
            raise AbmError(f'{path}: [data.contact_columns] maps {canonical} to "{header}", but the file has no '
                           "such column" + column_hint(header, table.frame.columns))
    frame = table.frame.with_columns(pl.col(header).alias(canonical) for canonical, header in chosen.mapping)
    if not any(key in frame.columns for key in _KEYS):
        raise AbmError(f"{path}: no column names the contact's account; expected account_id, a company domain, "
                       "an email or a company name" + column_hint("email", table.frame.columns))
    frame = _cleaned(frame)
    bad = int(frame.select((pl.col("email").is_not_null() & ~pl.col("email").str.contains("@", literal=True)).sum())
              .item())
    frame, free = _with_domain(frame)
    frame, duplicates = _drop_repeats(frame, table.first_row)
    # `_line` keeps each row's own spreadsheet row through the matcher, repeats dropped or not.
    matched, match = match_events(accounts, frame, table.first_row)
    titles = read_titles(matched.get_column("job_title"), title_rules)
    ids = accounts.get_column("account_id").cast(pl.String)
    out = matched.select(
        *[c for c in CONTACT_COLUMNS if c in matched.columns and c not in ("account_id", "domain", "company")],
        pl.col("_row"),
    ).with_columns(ids.gather(matched.get_column("_row")).alias("account_id")).hstack(titles.frame)
    report = ContactReport(str(path), table.frame.height, chosen.describe(),
                           match, duplicates, titles, bad, free, table.notes)
    return Contacts(out, report)


def _cleaned(frame: pl.DataFrame) -> pl.DataFrame:
    """Every canonical column as trimmed text with blanks missing; emails in lower case; the job title as given."""
    present = [c for c in CONTACT_COLUMNS if c in frame.columns]
    frame = frame.select(*(blank_to_null(pl.col(c).cast(pl.String)).alias(c) for c in present))
    missing = [pl.lit(None, pl.String).alias(c) for c in ("email", "job_title") if c not in frame.columns]
    return frame.with_columns(*missing).with_columns(pl.col("email").str.to_lowercase())


def _with_domain(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """`domain`: the company's domain where given, else the email's unless it is a free-mail provider's."""
    at = pl.col("email").str.contains("@", literal=True)
    # the email's domain once, as a column: cleaning it is the costly part, and the count and the coalesce need it
    frame = frame.with_columns(pl.when(at).then(bare_domain(pl.col("email"))).alias("_mail"))
    free = pl.col("_mail").is_in(list(FREE_MAIL))
    given = bare_domain(pl.col("domain")) if "domain" in frame.columns else pl.lit(None, pl.String)
    counted = int(frame.select(free.sum()).item() or 0)
    return frame.with_columns(pl.coalesce(given, pl.when(~free).then(pl.col("_mail"))).alias("domain")).drop(
        "_mail"), counted


def _drop_repeats(frame: pl.DataFrame, first_row: int) -> tuple[pl.DataFrame, tuple[DroppedRow, ...]]:
    """Each email's rows after its first: the same person exported twice (contacts without an email all stay)."""
    lines = frame.with_columns((pl.int_range(pl.len()) + first_row).alias("_line"))
    repeat = pl.col("email").is_not_null() & ~pl.col("email").is_first_distinct()
    dropped = lines.filter(repeat).select("_line", "email")
    rows = tuple(DroppedRow(line, f"repeats the email {email}") for line, email in dropped.iter_rows())
    return lines.filter(~repeat), rows
