"""From a planner's own export to a first plan file: what `abm-tui init` does.

The layout is detected once and written into the plan (`preset`, and `[data.columns]` for every header
that was guessed), so next week's run reads the file the same way even if detection would change,
and the planner can see and correct each guess in the TOML.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from abm_tui.engine.segment import Matrix
from abm_tui.errors import AbmError
from abm_tui.ingest import readers
from abm_tui.ingest.contacts import layout as contact_layout
from abm_tui.ingest.load import LoadReport
from abm_tui.onboarding.starter import starter_plan
from abm_tui.plan.dump import save_plan
from abm_tui.plan.model import DataSource, Plan
from abm_tui.plan.paths import relative_path
from abm_tui.session import Session, build_workspace, load_dataset


@dataclass(frozen=True)
class Started:
    path: Path
    plan: Plan
    report: LoadReport
    findings: tuple[str, ...]
    matrix: Matrix


def write_starter(accounts: Path, engagement: Path | None, out: Path, *, preset: str = "auto",
                  sheet: str | None = None, name: str | None = None, force: bool = False,
                  id_column: str | None = None, contacts: Path | None = None) -> Started:
    """Read the files, build the starter plan from their own quantiles, and save it (never over an input).

    `id_column` is the header to key the accounts by (`--id`), written into the plan's `[data.columns]`;
    without it the loader chooses, and its choice is written there too, so next week's file is keyed the same.
    `contacts` (`--contacts`) is named in `[data]` and its headers' mapping written in `[data.contact_columns]`,
    for the same reason.
    """
    inputs = {p.resolve() for p in (accounts, engagement, contacts) if p is not None}
    if out.resolve() in inputs:
        raise AbmError(f"{out}: is one of the data files; choose another --out for the plan")
    if out.exists() and not force:
        raise AbmError(f"{out}: already exists; choose another --out or pass --force to replace it")
    base = out.resolve().parent
    base.mkdir(parents=True, exist_ok=True)  # data paths are relative to it, and the OS walks through it
    events = None if engagement is None else relative_path(engagement, base)
    given = () if id_column is None else (("account_id", id_column),)
    people = None if contacts is None else relative_path(contacts, base)
    data = DataSource(relative_path(accounts, base), events, preset, given, sheet, people,
                      () if contacts is None else contact_mapping(contacts))
    draft = Plan(name=name or _plan_name(accounts), data=data, base_dir=base, source=str(out))
    dataset = load_dataset(draft)
    report = dataset.report
    data = replace(data, preset=report.preset, columns=(*given, *report.guessed))
    workspace = build_workspace(dataset, draft)
    starter = starter_plan(workspace.table, workspace.channels, data, draft.name, draft.as_of)
    plan = replace(starter.plan, base_dir=base, source=str(out))
    matrix = Session(plan, workspace).matrix()
    return Started(save_plan(plan, out), plan, workspace.report, starter.findings, matrix)


def contact_mapping(path: Path) -> tuple[tuple[str, str], ...]:
    """The contacts file's headers behind each canonical contact column, where they differ from its name."""
    chosen = contact_layout(readers.read_table(path).frame)
    return tuple((canonical, header) for canonical, header in chosen.mapping if canonical != header)


def _plan_name(accounts: Path) -> str:
    return accounts.stem.replace("_", " ").replace("-", " ").strip().capitalize() or "New plan"
