"""The warehouse: the plan as one SQL query in the plan's dialect (see outputs/warehouse)."""

from __future__ import annotations

import re

from abm_tui.outputs.destinations.common import Draft, ExportContext
from abm_tui.outputs.manifest import Provenance

SQL_FILE = "plan.sql"
OWNED = re.compile(re.escape(SQL_FILE))


def build(context: ExportContext, prov: Provenance) -> Draft:
    from abm_tui.outputs.warehouse import plan_sql

    settings = context.plan.export
    body = plan_sql(context.plan, context.accounts.schema, context.channels, context.as_of, settings.sql_dialect,
                    settings.accounts_table, settings.events_table)
    header = f"-- {prov.label()}\n-- written by abm-tui {prov.version} for {settings.sql_dialect}\n\n"
    return Draft(((SQL_FILE, header + body.rstrip("\n") + "\n"),), (), 0)
