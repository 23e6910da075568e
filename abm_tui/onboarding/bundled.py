"""Where the bundled demo data and default plan live, installed or in a checkout.

In a wheel, the top-level `data/` and `themes/` folders are mapped into the package; in an editable
install or a checkout they stay at the project root. Both layouts are looked up here and nowhere else.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def resource_dir(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"abm-tui's bundled {name}/ folder is missing from {_PACKAGE}; reinstall abm-tui")


def demo_plan() -> Path:
    return resource_dir("data") / "plan.toml"
