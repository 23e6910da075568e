"""Everything one export writes, in one call, for `abm-tui run`, `abm-tui export` and the workbench.

The run's own files, the CRM and ad-platform files, the engagement rows that matched no account, what
moved since the last run, and the manifest that traces every file to the plan: one routine, so the
three ways to export can never disagree about what a folder holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from abm_tui.engine.segment import Matrix
from abm_tui.history.weekly import check_history, record_run
from abm_tui.ingest.load import LoadReport
from abm_tui.outputs.destinations import ExportContext, deliver, provenance, write_manifest
from abm_tui.outputs.run_files import run_exports, write_unmatched

if TYPE_CHECKING:
    from abm_tui.session import Session


@dataclass(frozen=True)
class Published:
    files: tuple[Path, ...]
    warnings: tuple[str, ...]
    manifest: Path
    notes: tuple[str, ...] = ()
    movement: str | None = None  # what moved since the last run, when the run keeps history


def publish(context: ExportContext, matrix: Matrix, report: LoadReport, out_dir: Path, plan_file: Path | None,
            run_files: tuple[str, ...] = (), destinations: tuple[str, ...] = (),
            progress: Callable[[str], None] | None = None, history: Session | None = None) -> Published:
    """Write the chosen files into out_dir; `progress` hears each file's name before it is written.

    With `history` (the session `abm-tui run` segmented), the run's snapshot is kept in the plan's
    history folder and what moved since the last one is written beside the exports.
    """
    if history is not None:
        check_history(context.plan)
    files = run_exports(context.assignments, matrix, context.plan, out_dir, plan_file, run_files, progress)
    warnings: list[str] = []
    for destination in destinations:
        delivery = deliver(destination, context, out_dir, progress)
        files.extend(delivery.files)
        warnings.extend(f"{destination}: {warning}" for warning in delivery.warnings)
    unmatched = write_unmatched(report, out_dir, context.inputs)
    if unmatched is not None:
        files.append(unmatched)
    recorded = record_run(history, context.assignments, context.inputs, out_dir) if history is not None else None
    if recorded is not None:
        files.extend(recorded.files)
    manifest = write_manifest(out_dir, files, provenance(context.plan, context.as_of), context.inputs)
    if recorded is None:
        return Published(tuple(files), tuple(warnings), manifest)
    return Published(tuple(files), tuple(warnings), manifest, recorded.notes, recorded.summary)
