"""Segments back into the systems that act on them: HubSpot, Salesforce, LinkedIn and the warehouse.

Each file has the exact layout its importer expects, because a planner uploads it without
editing, and each stays under the importer's limits by splitting. Every CRM row carries the
plan's provenance label and `manifest.json` records what made each file, so a tier seen in a
CRM months later can be traced to the plan that set it. Files hold no timestamp: the same plan
on the same data writes the same bytes, so a weekly run that changed nothing shows no change.

One module per target; TARGETS is the one registry of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from abm_tui.errors import AbmError, nearest
from abm_tui.files import commit, guard_inputs, inside, locked, stage
from abm_tui.outputs.destinations import hubspot, linkedin, salesforce, sql
from abm_tui.outputs.destinations.common import Draft, ExportContext, some
from abm_tui.outputs.destinations.linkedin import LINKEDIN_HEADER
from abm_tui.outputs.manifest import Provenance, provenance, read_manifest, write_manifest
from abm_tui.plan.model import DESTINATIONS

__all__ = ["LINKEDIN_HEADER", "TARGETS", "Delivery", "ExportContext", "Planned", "Target", "deliver", "plan_delivery",
           "provenance", "write_manifest"]


@dataclass(frozen=True)
class Target:
    """A destination: how it drafts its files, and which files of an earlier delivery it owns (and replaces)."""

    build: Callable[[ExportContext, Provenance], Draft]
    owned: re.Pattern[str]


TARGETS: dict[str, Target] = {
    "hubspot": Target(hubspot.build, hubspot.OWNED), "salesforce": Target(salesforce.build, salesforce.OWNED),
    "linkedin": Target(linkedin.build, linkedin.OWNED), "sql": Target(sql.build, sql.OWNED),
}


@dataclass(frozen=True)
class Delivery:
    """The files one destination got; `rows` counts data rows written (0 for SQL)."""

    destination: str
    files: tuple[Path, ...]
    warnings: tuple[str, ...]
    rows: int


@dataclass(frozen=True)
class Planned:
    """One destination's delivery, drafted and checked, nothing written: its files by name relative to the
    output folder, and the files of its earlier delivery there that it replaces."""

    destination: str
    files: tuple[tuple[str, pl.DataFrame | str], ...]
    stale: tuple[str, ...]
    warnings: tuple[str, ...]
    rows: int


def plan_delivery(destination: str, context: ExportContext, out_dir: Path) -> Planned:
    """Everything a delivery into out_dir will write and remove, checked before a byte is written: not over an
    input, not outside out_dir, not past a manifest abm-tui cannot read."""
    if destination not in TARGETS:
        raise AbmError(f"unknown destination {destination!r}; expected one of {', '.join(DESTINATIONS)}"
                       + nearest(destination, DESTINATIONS))
    if context.assignments.height != context.accounts.height:
        raise ValueError("assignments and accounts must describe the same accounts in the same order")
    earlier = read_manifest(out_dir)
    draft = TARGETS[destination].build(context, provenance(context.plan, context.as_of))
    names = [name for name, _ in draft.files]
    stale = [name for name in earlier if TARGETS[destination].owned.fullmatch(name) and name not in names]
    inside(out_dir, names + stale)
    guard_inputs([out_dir / name for name in names + stale], set(context.inputs))
    gone = [name for name in stale if (out_dir / name).is_file()]
    notes = [f"removed {len(gone)} file(s) of an earlier delivery that this plan no longer makes: "
             + some(gone)] if gone else []
    return Planned(destination, draft.files, tuple(gone), draft.warnings + tuple(notes), draft.rows)


def deliver(destination: str, context: ExportContext, out_dir: Path,
            progress: Callable[[str], object] | None = None) -> Delivery:
    """Write one destination's files into out_dir, replacing those of its earlier delivery there, all at once."""
    planned = plan_delivery(destination, context, out_dir)
    names = [name for name, _ in planned.files]
    with locked(out_dir):
        commit(out_dir, stage(out_dir, planned.files, progress), names, planned.stale)
    return Delivery(destination, tuple(out_dir / name for name in names), planned.warnings, planned.rows)
