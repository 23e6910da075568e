"""The warehouse: the plan as one SQL query in the plan's dialect (see outputs/warehouse), and the tables it reads.

plan.sql expects abm-tui's canonical tables, while the cleaning and the matching of events to accounts
happen here in Python; so the delivery carries the cleaned accounts and the matched events as Parquet
(under `warehouse/`), the `CREATE TABLE` statements for them and a load script, `load.sql`, in the same
dialect. Postgres reads no Parquet without an extension, so for it the same rows also come as CSV for its
COPY. Following load.sql and then plan.sql gives the engine's assignment for every account.
"""

from __future__ import annotations

import re

import polars as pl

from abm_tui.outputs.destinations.common import Draft, ExportContext
from abm_tui.outputs.manifest import Provenance

SQL_FILE = "plan.sql"
LOAD_FILE = "load.sql"
OWNED = re.compile(r"plan\.sql|load\.sql|warehouse/(accounts|events)\.(parquet|copy)")


def build(context: ExportContext, prov: Provenance) -> Draft:
    from abm_tui.outputs import warehouse

    settings = context.plan.export
    dialect = settings.sql_dialect
    body = warehouse.plan_sql(context.plan, context.accounts.schema, context.channels, context.as_of, dialect,
                              settings.accounts_table, settings.events_table)
    header = f"-- {prov.label()}\n-- written by abm-tui {prov.version} for {dialect}\n\n"
    accounts, dropped = warehouse.distinct_names(warehouse.portable(context.accounts),
                                                 warehouse.columns_read(context.plan))
    warnings = [f"warehouse/accounts.parquet leaves out {', '.join(map(repr, dropped))}: warehouses that ignore case "
                "cannot tell them from columns of the same name"] if dropped else []
    tables = [(settings.accounts_table, f"{warehouse.WAREHOUSE_FOLDER}/accounts.parquet", accounts)]
    events = _matched_events(context)
    if events is not None:
        tables.append((settings.events_table, f"{warehouse.WAREHOUSE_FOLDER}/events.parquet", events))
    script = warehouse.load_script(dialect, [(name, file, frame.schema) for name, file, frame in tables],
                                   prov.label())
    files: list[tuple[str, pl.DataFrame | str]] = [(SQL_FILE, header + body.rstrip("\n") + "\n"), (LOAD_FILE, script)]
    for _, file, frame in tables:
        files.append((file, frame))
        if dialect == "postgres":
            files.append((warehouse.copy_name(file), warehouse.copy_frame(frame)))
    return Draft(tuple(files), tuple(warnings), 0)


def _matched_events(context: ExportContext) -> pl.DataFrame | None:
    """The events plan.sql reads: those the engine counts, each with its account's id; None without events.

    The query filters by date itself, so events after as-of are kept, as the engine keeps them.
    """
    from abm_tui.outputs.warehouse import portable

    if context.channels is None or context.events is None:
        return None
    ids = context.accounts.get_column("account_id").gather(context.events.get_column("_row"))
    return portable(context.events.drop("_row").insert_column(0, ids))
