"""Where a plan's files are: its data paths resolved, rewritten for another folder, and the set of
inputs a run must never overwrite."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from abm_tui.plan.model import Plan


def relocated(plan: Plan, out_dir: Path) -> Plan:
    """The same plan, with data paths rewritten so that it runs as it is from `out_dir`."""
    out_dir = out_dir.resolve()

    def move(path: str) -> str:
        return relative_path(plan.resolve(path), out_dir)

    engagement = None if plan.data.engagement is None else move(plan.data.engagement)
    contacts = None if plan.data.contacts is None else move(plan.data.contacts)
    data = replace(plan.data, accounts=move(plan.data.accounts), engagement=engagement, contacts=contacts)
    return replace(plan, data=data, base_dir=out_dir)


def relative_path(path: Path, base: Path) -> str:
    """How a plan in `base` names a data file: relative, so the folder can move as a whole (absolute across
    Windows drives, where no relative path exists)."""
    target = path.resolve()
    try:
        return os.path.relpath(target, base)
    except ValueError:
        return str(target)


def data_paths(plan: Plan) -> set[Path]:
    """The plan's data files, resolved."""
    paths = {plan.resolve(plan.data.accounts).resolve()}
    if plan.data.engagement:
        paths.add(plan.resolve(plan.data.engagement).resolve())
    if plan.data.contacts:
        paths.add(plan.resolve(plan.data.contacts).resolve())
    return paths


def input_paths(plan: Plan, plan_file: Path | None) -> set[Path]:
    """The data files, and the plan file (given, or the one the plan was loaded from)."""
    paths = data_paths(plan)
    for source in (plan_file, Path(plan.source)):
        if source is not None and source.is_file():
            paths.add(source.resolve())
    return paths
