"""The buying committee: each contact's persona, and per account which personas it has people for.

A persona rule is a name and a `where` over a contact's `function`, `seniority` and `job_title`, first match wins,
exactly as a stage or bucket rule is over an account; so it is the plan's `Rule` and compiles with the plan's own
`to_expr` (every op, `any`, `not`). Without `[[personas]]` in the plan the seeds' table applies.

The per-account columns land aligned with the accounts' rows (contacts carry `_row`, their account's row), as the
engagement features do, so they are one `hstack` onto the featured table and rules and plays can name them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import polars as pl

from abm_tui.errors import AbmError, nearest
from abm_tui.ingest.titles import Function, Seniority
from abm_tui.plan.model import AllOf, AnyOf, Compare, Plan, Rule
from abm_tui.plan.rules import columns, to_expr

PersonaRule = Rule  # `[[personas]] name = "...", where = {...}`: a name and a condition over contact columns
COMMITTEE_COLUMNS = ("contact_count", "committee", "committee_count")


def _is(column: str, *values: str) -> Compare:
    return Compare(column, "in", values)


def _title_has(*words: str) -> AnyOf:
    return AnyOf(tuple(AllOf((Compare("job_title", "contains", word),)) for word in words))


_LEADERS = (Seniority.C_LEVEL, Seniority.VP, Seniority.DIRECTOR)

# The seeds' persona table (CMO and VP Marketing; Demand Gen; RevOps; BDR and SDR leaders; Sales leadership;
# Agencies), Agencies first so an agency's people are not read as the client-side roles their titles resemble.
DEFAULT_PERSONAS: tuple[PersonaRule, ...] = (
    Rule("Agencies", AllOf((_title_has("agency", "client services", "client partner"),))),
    Rule("CMO and VP Marketing", AllOf((_is("function", Function.MARKETING),
                                        _is("seniority", Seniority.C_LEVEL, Seniority.VP)))),
    Rule("Demand Gen", AllOf((_title_has("demand", "growth marketing", "abm", "account based"),))),
    Rule("RevOps", AllOf((_is("function", Function.REVOPS),))),
    Rule("BDR and SDR Leaders", AllOf((_title_has("bdr", "sdr", "sales development", "business development rep"),
                                       _is("seniority", Seniority.MANAGER, *_LEADERS)))),
    Rule("Sales Leadership", AllOf((AnyOf((
        AllOf((_is("function", Function.SALES), _is("seniority", *_LEADERS))),
        AllOf((_is("function", Function.EXECUTIVE), _title_has("revenue", "sales", "commercial"))),
    )),))),
)


def plan_personas(plan: Plan) -> tuple[PersonaRule, ...]:
    """The plan's own `[[personas]]`, else the seeds' table: the one place that default is decided."""
    return plan.personas or DEFAULT_PERSONAS


def persona_column(name: str) -> str:
    """`CMO and VP Marketing` as `persona_cmo_and_vp_marketing_contacts`: a column name rules can write bare."""
    return f"persona_{re.sub(r'[^a-z0-9]+', '_', name.lower()).strip('_')}_contacts"


def committee_names(personas: Sequence[PersonaRule]) -> list[str]:
    """Every column `committee_columns` adds, for validation: a rule naming one needs a contacts file."""
    return [*COMMITTEE_COLUMNS, *(persona_column(p.name) for p in personas if p.enabled)]


def assign_personas(contacts: pl.DataFrame, personas: Sequence[PersonaRule] = DEFAULT_PERSONAS) -> pl.Series:
    """Each contact's persona, the first enabled rule it meets; null when none does.

    The rules are run once per distinct combination of the columns they read (a few thousand titles among
    millions of contacts) and the answers gathered back by each contact's combination: the `contains` tests
    on titles are the expensive part, and they see each title once.
    """
    schema = {name: dtype for name, dtype in contacts.schema.items()}
    rules = [p for p in personas if p.enabled]
    chain: pl.Expr = pl.lit(None, pl.String)
    for rule in reversed(rules):
        chain = pl.when(to_expr(rule.where, schema)).then(pl.lit(rule.name)).otherwise(chain)
    names = pl.Enum([p.name for p in rules]) if rules else pl.String
    read = sorted(set().union(*(columns(p.where) for p in rules)) & set(contacts.columns))
    if not read:  # every rule matches everyone or no one: the chain is a literal, broadcast to every row
        return contacts.with_columns(chain.cast(names).alias("persona")).get_column("persona")
    people = contacts.select(read)
    distinct = people.unique().with_columns(chain.cast(names).alias("persona"))
    joined = people.join(distinct, on=read, how="left", maintain_order="left", nulls_equal=True)
    return joined.get_column("persona")


def committee_columns(contacts: pl.DataFrame, size: int,
                      personas: Sequence[PersonaRule] = DEFAULT_PERSONAS) -> pl.DataFrame:
    """`size` rows, row i for the account at row i: `contact_count`, `committee` (the personas with a contact,
    in rule order), `committee_count` and one `persona_<name>_contacts` count per persona.

    Counts are NumPy bincounts over the contacts' account rows and persona codes: no group-by on ids.
    """
    _check_columns(contacts, personas)
    rules = [p for p in personas if p.enabled]
    rows = contacts.get_column("_row").cast(pl.Int64).to_numpy()
    persona = assign_personas(contacts, rules)
    codes = persona.to_physical().fill_null(-1).cast(pl.Int64).to_numpy() if rules else np.full(len(rows), -1)
    counts = np.bincount(rows, minlength=size).astype(np.int32)
    known = codes >= 0
    per = np.bincount(rows[known] * max(len(rules), 1) + codes[known], minlength=size * max(len(rules), 1))
    per = per.reshape(size, max(len(rules), 1))[:, : len(rules)].astype(np.int32)
    columns = {persona_column(p.name): per[:, j] for j, p in enumerate(rules)}
    committee = _committee(per > 0, [p.name for p in rules])
    table = pl.DataFrame({"contact_count": counts, "committee": committee,
                          "committee_count": (per > 0).sum(axis=1).astype(np.int32), **columns})
    return table


def with_committee(table: pl.DataFrame, contacts: pl.DataFrame, personas: Sequence[PersonaRule],
                   accounts_file: str) -> pl.DataFrame:
    """`table` (the accounts, row for row) with the committee columns beside it.

    An accounts column of one of those names (an earlier run's assignments.csv fed back in holds contact_count)
    would make two columns of one name, so it is refused, naming them, as engagement features are.
    """
    made = committee_columns(contacts, table.height, personas)
    clashes = [name for name in made.columns if name in table.columns]
    if clashes:
        one = len(clashes) == 1
        raise AbmError(
            f"{accounts_file}: column{'' if one else 's'} {', '.join(clashes)} {'is' if one else 'are'} also "
            "computed from the contacts file; expected accounts without them (rename them, or leave out the "
            "contacts file to use them as they are)"
        )
    return table.hstack(made)


_MASK_BITS = 16  # personas per lookup table: 65,536 lists at most


def _committee(present: np.ndarray, names: list[str]) -> pl.Series:
    """Per account the names of its present personas, in order, as a list column.

    Each account's presence pattern is a bit mask and its list is gathered from a table of every mask's list,
    16 personas at a time (a plan rarely has more): a per-row list expression over a million accounts takes
    seconds, the gather milliseconds.
    """
    parts = []
    for start in range(0, max(len(names), 1), _MASK_BITS):
        chunk = present[:, start : start + _MASK_BITS]
        width = chunk.shape[1]
        lists = [[names[start + j] for j in range(width) if mask >> j & 1] for mask in range(1 << width)]
        masks = chunk.astype(np.int64) @ (1 << np.arange(width, dtype=np.int64))
        parts.append(pl.Series("committee", lists, dtype=pl.List(pl.String)).gather(masks))
    if len(parts) == 1:
        return parts[0]
    return pl.select(pl.concat_list(parts).alias("committee")).to_series()


def _check_columns(contacts: pl.DataFrame, personas: Sequence[PersonaRule]) -> None:
    """A persona rule reads the contact's own columns (function, seniority, job_title...): any other is named."""
    known = [c for c in contacts.columns if not c.startswith("_")]
    for i, persona in enumerate(personas):
        for column in sorted(columns(persona.where) - set(known)):
            raise AbmError(f"personas[{i}].where: unknown contact column {column!r}; expected one of "
                           f"{', '.join(known)}" + nearest(column, known))


def gaps(committee: Sequence[str], personas: Sequence[PersonaRule] = DEFAULT_PERSONAS) -> list[str]:
    """The plan's personas an account has no contact for, in rule order: what `explain` lists as missing."""
    present = set(committee)
    return [p.name for p in personas if p.enabled and p.name not in present]
