"""manifest.json: what made each file of an output folder, so a tier seen in a CRM months later can be
traced to the plan that set it. Files hold no timestamp of their own; the manifest does."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from abm_tui.errors import AbmError
from abm_tui.files import guard_inputs, write_text
from abm_tui.plan.dump import plan_hash
from abm_tui.plan.model import Plan
from abm_tui.version import __version__

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Provenance:
    """What made a delivery: enough to find the plan again from a CRM field or a file."""

    plan_name: str
    plan_hash: str
    as_of: dt.date
    generated_at: str
    version: str

    def label(self) -> str:
        """One line for the `ABM Plan` field; without the time, so an unchanged plan writes unchanged rows."""
        name = " ".join(self.plan_name.splitlines())
        return f"{name} (plan {self.plan_hash}, as of {self.as_of.isoformat()})"


def provenance(plan: Plan, as_of: dt.date) -> Provenance:
    generated = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return Provenance(plan.name, plan_hash(plan), as_of, generated, __version__)


def read_manifest(out_dir: Path) -> dict[str, dict[str, Any]]:
    """The file entries of out_dir's manifest by name; a manifest we cannot read is never silently replaced."""
    path = out_dir / MANIFEST
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return {entry["name"]: entry for entry in doc["files"] if isinstance(entry["name"], str)}
    except (ValueError, KeyError, TypeError) as err:
        raise AbmError(f"{path}: is not a manifest abm-tui can read ({err}); move it away or choose another "
                       "--out folder") from None


def manifest_text(out_dir: Path, files: Mapping[str, Path], prov: Provenance, removed: Iterable[str] = ()) -> str:
    """The manifest for `files` (each final name with the file that holds its bytes now, staged or in place),
    keeping the entries of earlier deliveries still present in out_dir and not `removed`."""
    gone = set(removed)
    entries = {name: entry for name, entry in read_manifest(out_dir).items()
               if name not in gone and (out_dir / name).is_file()}
    for name, file in files.items():
        entries[name] = {"name": name, "rows": _rows(file), "sha256": _sha256(file), "plan_hash": prov.plan_hash,
                         "as_of": prov.as_of.isoformat(), "generated_at": prov.generated_at}
    doc = {
        "plan_name": prov.plan_name, "plan_hash": prov.plan_hash, "as_of": prov.as_of.isoformat(),
        "generated_at": prov.generated_at, "version": prov.version,
        "files": [entries[name] for name in sorted(entries)],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_manifest(out_dir: Path, deliveries: Iterable[Path], prov: Provenance,
                   inputs: frozenset[Path] = frozenset()) -> Path:
    """Record each file with its rows, hash and plan, keeping the entries of earlier deliveries still present."""
    path = out_dir / MANIFEST
    guard_inputs([path], set(inputs))
    files = {file.resolve().relative_to(out_dir.resolve()).as_posix(): file for file in deliveries}
    return write_text(path, manifest_text(out_dir, files, prov))


def _rows(path: Path) -> int | None:
    """Data rows of a table file; None for text such as plan.sql."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pl.scan_csv(path, infer_schema=False, glob=False).select(pl.len()).collect().item()
    if suffix == ".parquet":
        return pl.scan_parquet(path, glob=False).select(pl.len()).collect().item()
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
