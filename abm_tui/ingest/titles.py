"""Job titles read as a function and a seniority, by a rule table a planner can read and override.

A contact's title is free text: "VP, Demand Generation", "Sr. Mgr, RevOps & Systems", "Leiter Marketing",
"Directeur commercial". Each title is lowered, its accents folded, `&` read as "and", "Vice President" (in any of
its spellings) written `vp`, and every other run of punctuation made a space; then the function and the seniority
are each the label of the first rule that has one of its words in the title. First match wins, so the rules are
ordered from specific to general: "Chief Revenue Officer" is Executive before "revenue" can make it Sales, and
"Product Marketing Manager" is Marketing before "product" can make it Product.

A word is matched whole (`cmo` never matches inside `cmos`); a `*` at its end or start matches any ending or
beginning (`recruit*` is recruiter and recruiting, `*leiter*` is Vertriebsleiter and Leiterin). A title no rule
reads is left without a label, counted and listed: a wrong label would put a person in the wrong persona
without anyone seeing it, and an honest gap is one a planner can fix with a rule of their own (`extra` rules
come before the shipped ones).

Titles repeat (a million contacts hold a few tens of thousands of distinct titles), so each distinct title is
read once, with Polars string expressions, and the labels are joined back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import polars as pl

from abm_tui.errors import AbmError
from abm_tui.plan.model import Function, Seniority, TitleWords

FUNCTION_TYPE = pl.Enum([f.value for f in Function])
SENIORITY_TYPE = pl.Enum([s.value for s in Seniority])
LONGEST_TITLE = 200  # longer text is a pasted biography or a broken cell, not a title: left unread
_LISTED = 20


@dataclass(frozen=True)
class TitleRule:
    """Titles holding any of `words` get `label` (a function or a seniority), unless an earlier rule took them."""

    label: Function | Seniority
    words: tuple[str, ...]


def from_plan(titles: Sequence[TitleWords]) -> tuple[TitleRule, ...]:
    """The plan's `[[titles]]` as rules: one per label a plan rule gives (a rule may give both), in plan order."""
    return tuple(TitleRule(label, t.words) for t in titles for label in (t.function, t.seniority) if label)


def _f(label: Function | Seniority, words: str) -> TitleRule:
    return TitleRule(label, tuple(words.split(", ")))


_F, _S = Function, Seniority

# The shipped function rules, first match wins; README "Contacts and the buying committee" shows this table.
FUNCTION_RULES: tuple[TitleRule, ...] = (
    _f(_F.EXECUTIVE, "ceo, chief executive*, cro, chief revenue, coo, chief operating, chief operations, "
       "chief of staff, chief strategy, chief business, chief customer, chief transformation, managing director, "
       "pdg, directeur general, directrice generale, director general, directora general, gerente general, "
       "consejero delegado, consejera delegada, director ejecutivo, directora ejecutiva, geschaftsfuhrer*, "
       "geschaftsfuhrung, geschaftsleitung, vorstand*"),
    _f(_F.REVOPS, "revops, rev ops, revenue operation*, revenue ops, revenue systems, sales operation*, sales ops, "
       "salesops, marketing operation*, marketing ops, mops, marketing automation, martech, marketing technology, "
       "gtm operation*, gtm ops, go to market operation*, crm, salesforce, hubspot, deal desk, sales systems, "
       "commercial operation*, operations commerciales, operaciones comerciales, operaciones de ventas, "
       "vertriebssteuerung"),
    _f(_F.MARKETING, "product marketing, pmm, produktmarketing"),
    _f(_F.PRODUCT, "product owner, product manager*, product management, product lead, product director, "
       "product ops, product operation*, product design*, product strategy, product analyst, chief product, cpo, "
       "produkt*, chef de produit, cheffe de produit, responsable produit, gerente de producto, jefe de producto, "
       "director de producto, directora de producto, ux, user experience, user research*, product"),
    _f(_F.MARKETING, "marketing, mktg, mkt, marketer*, cmo, demand gen*, growth, brand*, content, communication*, "
       "comms, public relations, pr, seo, sem, ppc, paid media, paid search, paid social, social media, digital, "
       "events, event, abm, account based, campaign*, lifecycle, email, copywrit*, creative, art director, media, "
       "advertising, publicite, publicidad, werbung, kommunikation, mercadotecnia, mercadeo, comunicacion, "
       "community, influencer"),
    _f(_F.SALES, "sales, sale, verkauf*, vertrieb*, aussendienst, außendienst, ventes, vente, ventas, venta, "
       "comercial, commercial, commerciale, affaires, cuentas, business development, bizdev, biz dev, bd, bdr, "
       "sdr, ldr, adr, account executive, ae, account manager*, account management, key account*, "
       "account director, strategic account*, enterprise account*, inside sales, channel, alliance*, "
       "partnership*, partner manager, revenue, presales, pre sales, solution engineer, solutions engineer, "
       "solutions consultant, solution consultant, solutions architect, sales engineer, client services, "
       "client partner, gtm, go to market"),
    _f(_F.FINANCE, "finance*, financial, financier*, cfo, chief financial, controller*, controleur*, controlling, "
       "comptroller, accounting, accountant*, accounts payable, accounts receivable, treasur*, fp and a, tax, "
       "audit*, payroll, buchhaltung, buchhalter*, finanz*, comptab*, financiero*, financiera, contador*, "
       "contable, contabilidad, tesorer*, daf, investor relations, billing"),
    _f(_F.HR, "hr, hrbp, human resource*, people, talent*, recruit*, chro, learning and development, l and d, "
       "compensation, benefits, organizational development, organisational development, personalleiter*, "
       "personalreferent*, personalwesen, personalentwicklung, leiter personal, leiterin personal, "
       "ressources humaines, rh, drh, recursos humanos, rrhh, reclutamiento, recrutement, recruteur*, "
       "employee experience"),
    _f(_F.ENGINEERING, "cto, chief technology"),
    _f(_F.IT, "it, information technology, informationstechnologie, cio, chief information*, ciso, "
       "information security, infosec, cyber*, security, sysadmin, system administrator, systems administrator, "
       "systemadministrator*, network*, netzwerk*, helpdesk, help desk, service desk, desktop support, "
       "infrastructure, infrastruktur, informatique, informatica, informatik, edv, dsi, sistemas, tecnologia*, "
       "technology, database administrator, dba"),
    _f(_F.ENGINEERING, "engineer*, engineering, ingenieur*, ingeniero*, ingenieria, developer*, development, "
       "software, devops, dev, sre, site reliability, architect*, programmer*, programador*, entwickler*, "
       "entwicklung, developpeur*, developpement, desarrollador*, desarrollo, technique, technical, tech, r and d, "
       "research and development, data*, analytics, machine learning, ml, ai, qa, quality assurance, firmware, "
       "hardware, frontend, front end, backend, back end, full stack, fullstack, mobile, ios, android, platform"),
    _f(_F.OTHER, "customer success, customer service*, customer support, customer experience, customer care, "
       "support, service client, kundenservice, kundendienst, atencion al cliente, legal, counsel, attorney, "
       "lawyer, paralegal, jurist*, juridique, juridico, recht*, procurement, purchasing, einkauf*, achat*, "
       "compras, comprador*, operations, operation, operaciones, logistic*, logistik, logistique, logistica, "
       "supply chain, facilit*, office*, administrative, administration, assistant*, asistente, receptionist, "
       "secretary, secretaria, sekretar*, project*, program*, programme, pmo, projekt*, proyecto*, projet*, "
       "consult*, research*, teacher, professor, student, compliance, risk, quality, strategy, strategic, "
       "transformation, innovation, sustainability, esg, freelance*, self employed"),
    _f(_F.EXECUTIVE, "president, presidente, presidentin, founder*, cofounder*, co founder*, fondateur, "
       "fondatrice, fundador*, grunder*, owner, proprietor, inhaber*, proprietaire, propietario*, dueno, duena, "
       "general manager, gm, chairman, chairwoman, chairperson, chair, vorsitzende*, managing partner, "
       "founding partner, partner, entrepreneur, board, c level, c suite, executive"),
)

# The shipped seniority rules, first match wins.
SENIORITY_RULES: tuple[TitleRule, ...] = (
    _f(_S.IC, "product owner, process owner"),
    _f(_S.DIRECTOR, "chief of staff"),
    _f(_S.C_LEVEL, "chief*, ceo, cfo, cmo, cro, cto, cio, coo, cpo, cso, cco, cdo, chro, ciso, cgo, cxo, cao, cbo, "
       "clo, c level, c suite, pdg, directeur general, directrice generale, director general, directora general, "
       "gerente general, consejero delegado, consejera delegada, director ejecutivo, directora ejecutiva, "
       "geschaftsfuhrer*, geschaftsfuhrung, geschaftsleitung, vorstand*, vorsitzende*, managing director, "
       "president, presidente, presidentin, chairman, chairwoman, chairperson, chair"),
    _f(_S.VP, "vp, vps, svp, evp, avp, rvp, gvp"),
    _f(_S.C_LEVEL, "founder*, cofounder*, co founder*, fondateur, fondatrice, fundador*, grunder*, owner, "
       "proprietor, inhaber*, proprietaire, propietario*, dueno, duena, managing partner, founding partner, "
       "general manager, gm, entrepreneur"),
    _f(_S.MANAGER, "teamleiter*, gruppenleiter*, projektleiter*, team lead, team leader, teamlead"),
    _f(_S.DIRECTOR, "director*, directora, directrice, directeur*, dir, head, heads, *leiter*, leitung, drh, daf, "
       "dsi"),
    _f(_S.MANAGER, "manager, managers, managerin, mgr, mngr, gerente, jefe, jefa, responsable, chef, cheffe, "
       "supervisor*, superviseur*, encargado, encargada, controller*, controleur*, comptroller"),
    _f(_S.IC, "lead generation, lead gen, leads"),
    _f(_S.MANAGER, "lead, leader"),
    _f(_S.IC, "specialist*, analyst*, coordinator*, coordinador*, coordinadora, coordinatrice, coordinateur, "
       "associate*, representative*, rep, reps, executive, engineer*, developer*, administrator*, admin, "
       "consultant*, designer*, writer*, copywriter*, editor, strategist*, accountant*, recruiter*, generalist*, "
       "assistant*, asistente, intern, interns, internship, trainee*, apprentice*, werkstudent*, praktikant*, "
       "stagiaire, becario*, bdr, sdr, ldr, adr, mdr, ae, account executive, officer, agent, advisor, adviser, "
       "berater*, beraterin, referent*, sachbearbeiter*, specialiste, charge, chargee, analista, especialista, "
       "ejecutivo*, ejecutiva*, ingeniero*, ingenieur*, entwickler*, developpeur*, desarrollador*, programador*, "
       "programmer*, architect*, scientist*, technician*, tecnico*, buyer, planner*, producer, staff, clerk, "
       "marketer*, hacker, sre, freelance*, student, senior, sr, junior, jr, principal, fellow, expert"),
)


def _normalised(titles: pl.Expr) -> pl.Expr:
    """A title as the rules read it: lower case, accents folded, `&` as and, Vice President as vp, no punctuation."""
    text = titles.str.to_lowercase().str.normalize("NFKD").str.replace_all(r"\p{M}+", "")
    text = text.str.replace_all("&", " and ", literal=True)
    text = text.str.replace_all(r"\bvi[cz]e[\s-]*presiden\w*", "vp")
    return text.str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()


def _pattern(words: Sequence[str], where: str) -> str:
    """One regex for a rule's words: each whole, with `*` at either end standing for any letters."""
    normal = pl.Series(list(words), dtype=pl.String).to_frame("w").select(_normalised(pl.col("w").str.replace_all(
        r"\*", "STAR"))).to_series().str.replace_all("star", r"\w*").to_list()
    bad = [word for word, cleaned in zip(words, normal, strict=True) if not cleaned.replace(r"\w*", "")]
    if bad:
        raise AbmError(f"{where}: the word {bad[0]!r} has no letters or digits; expected a word of a job title")
    return r"\b(?:" + "|".join(sorted(set(normal), key=len, reverse=True)) + r")\b"


@dataclass(frozen=True)
class Titles:
    """Each contact's function and seniority (null where unread), and the titles that could not be read."""

    frame: pl.DataFrame  # function, seniority: one row per title given, in order
    unread: pl.DataFrame = field(compare=False)  # job_title, contacts, missing ("function", "seniority" or both)
    titled: int = 0  # contacts with a title at all

    def summary(self) -> list[str]:
        """For the load summary: how many titles were read, and the most common ones that were not."""
        if not self.titled:
            return ["job titles: none given"]
        unread = int(self.unread.get_column("contacts").sum()) if self.unread.height else 0
        head = f"job titles: {self.titled - unread:,} of {self.titled:,} read as a function and a seniority"
        if not unread:
            return [head]
        lines = [f"{head}; {unread:,} not fully read ({self.unread.height:,} distinct titles), "
                 "add [[titles]] rules for them:"]
        for title, contacts, missing in self.unread.head(_LISTED).iter_rows():
            shown = title if len(title) <= 60 else title[:57] + "..."
            lines.append(f"  {shown!r} x{contacts:,}: no {missing}")
        if self.unread.height > _LISTED:
            lines.append(f"  ... and {self.unread.height - _LISTED:,} more titles")
        return lines


def _first_match(text: pl.Series, rules: Iterable[TitleRule], dtype: pl.Enum, where: str) -> pl.Series:
    """The label of the first rule with a word in each `text`, else null.

    Each rule is tried only on the titles no earlier rule took (a `when` chain would test every rule on every
    title): half the work on a million distinct titles, with the same answers.
    """
    labels = pl.Series(text.name, [None] * text.len(), dtype=pl.String)
    pending = text.is_not_null().arg_true()
    for i, rule in enumerate(rules):
        hit = text.gather(pending).str.contains(_pattern(rule.words, f"{where}[{i}]"))
        labels = labels.scatter(pending.filter(hit), rule.label.value)
        pending = pending.filter(~hit)
    return labels.cast(dtype)


def read_titles(titles: pl.Series, extra: Sequence[TitleRule] = ()) -> Titles:
    """`function` and `seniority` for each title: the planner's `extra` rules first, then the shipped tables.

    Missing titles (null or blank) get no labels and are not counted as unread: there was nothing to read.
    """
    for i, rule in enumerate(extra):
        if not isinstance(rule.label, (Function, Seniority)):
            raise AbmError(f"titles[{i}]: {rule.label!r} is neither a function nor a seniority")
    given = titles.cast(pl.String).str.strip_chars().alias("job_title")
    distinct = given.unique().drop_nulls().to_frame().filter(pl.col("job_title") != "")
    text = pl.when(pl.col("job_title").str.len_chars() <= LONGEST_TITLE).then(_normalised(pl.col("job_title")))
    functions = [r for r in extra if isinstance(r.label, Function)] + list(FUNCTION_RULES)
    seniorities = [r for r in extra if isinstance(r.label, Seniority)] + list(SENIORITY_RULES)
    read = distinct.select(text).to_series()
    lookup = distinct.with_columns(
        _first_match(read, functions, FUNCTION_TYPE, "titles").alias("function"),
        _first_match(read, seniorities, SENIORITY_TYPE, "titles").alias("seniority"),
    )
    frame = given.to_frame().join(lookup, on="job_title", how="left", maintain_order="left")
    counts = frame.group_by("job_title").agg(pl.len().alias("contacts"))
    missing = pl.concat_str(
        pl.when(pl.col("function").is_null()).then(pl.lit("function")),
        pl.when(pl.col("seniority").is_null()).then(pl.lit("seniority")),
        separator=" and ", ignore_nulls=True,
    )
    unread = (
        lookup.filter(pl.col("function").is_null() | pl.col("seniority").is_null())
        .join(counts, on="job_title")
        .select("job_title", pl.col("contacts").cast(pl.Int64), missing.alias("missing"))
        .sort(["contacts", "job_title"], descending=[True, False])
    )
    titled = int(frame.get_column("job_title").is_in(lookup.get_column("job_title").implode()).sum())
    return Titles(frame.select("function", "seniority"), unread, titled)


def rules_table() -> list[tuple[str, str, str]]:
    """(kind, label, words) per shipped rule, in order: the README's table is checked against this."""
    rows = [("function", rule.label.value, ", ".join(rule.words)) for rule in FUNCTION_RULES]
    return rows + [("seniority", rule.label.value, ", ".join(rule.words)) for rule in SENIORITY_RULES]
