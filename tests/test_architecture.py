"""The layers as DESIGN.md draws them, checked over every module rather than a hand-kept list: a new module is
covered the day it is added.

The checks run in subprocesses: this test process has Textual loaded by the TUI tests beside it, and mypy and
import-linter are tools a contributor runs the same way from the checkout.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import abm_tui

REPO = Path(__file__).resolve().parent.parent
UI_LIBRARIES = ("textual", "rich", "textual_fastdatatable")
# Prints, as JSON, each module (argv order) whose import brought in a UI library, with the libraries it brought.
_IMPORT_EACH = f"""
import importlib, json, sys
ui = {UI_LIBRARIES!r}
def loaded():
    return sorted(name for name in sys.modules if name.split(".")[0] in ui)
offenders = {{}}
for module in sys.argv[1:]:
    importlib.import_module(module)
    if loaded():
        offenders[module] = loaded()
        break
print(json.dumps(offenders))
"""
# Runs every headless command in-process on a small demo, then prints the UI libraries it loaded.
_HEADLESS_COMMANDS = f"""
import json, sys
from pathlib import Path
import polars as pl
from abm_tui.cli import main
out = Path(sys.argv[1])
plan = str(out / "demo" / "plan.toml")
steps = [
    ["demo", "--accounts", "300", "--out", str(out / "demo")],
    ["validate", plan],
    ["run", plan, "--out", str(out / "run")],
    ["matrix", plan, "--rows", "tier", "--cols", "stage", "--format", "json"],
    ["export", plan, "--to", "hubspot,linkedin,sql", "--out", str(out / "export")],
    ["review", plan],
    ["diff", plan, plan],
    ["init", str(out / "demo" / "accounts.csv"), "--out", str(out / "started.toml")],
]
for argv in steps:
    assert main(argv) == 0, argv
account = pl.read_csv(out / "run" / "assignments.csv").get_column("account_id")[0]
assert main(["explain", plan, str(account)]) == 0
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {UI_LIBRARIES!r})))
"""


def _python(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=REPO)


def every_module() -> list[str]:
    """Every module of the package, found on disk by walking it (packages are imported on the way down)."""
    found = [info.name for info in pkgutil.walk_packages(abm_tui.__path__, "abm_tui.")]
    return ["abm_tui", *found]


def headless_modules() -> list[str]:
    return [name for name in every_module() if name != "abm_tui.tui" and not name.startswith("abm_tui.tui.")]


def test_the_walk_finds_every_layer() -> None:
    """The walk is what the checks below rely on: it sees every layer of DESIGN.md's order and its modules."""
    modules = set(every_module())
    layers = ("errors", "files", "plan", "ingest", "engine", "session", "history", "outputs", "onboarding",
              "userstate", "cli", "tui")
    assert {f"abm_tui.{layer}" for layer in layers} <= modules
    on_disk = {path.relative_to(REPO).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
               for path in (REPO / "abm_tui").rglob("*.py")}
    assert on_disk == modules


@pytest.mark.slow
def test_no_headless_module_imports_a_ui_library() -> None:
    result = _python(_IMPORT_EACH, *headless_modules())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {}


@pytest.mark.slow
def test_the_import_check_sees_a_ui_import() -> None:
    """The check above can fail: importing the app is caught as bringing in Textual."""
    result = _python(_IMPORT_EACH, "abm_tui.errors", "abm_tui.tui.app")
    assert result.returncode == 0, result.stderr
    offenders = json.loads(result.stdout)
    assert list(offenders) == ["abm_tui.tui.app"] and "textual" in offenders["abm_tui.tui.app"]


@pytest.mark.slow
@pytest.mark.cli
def test_every_headless_command_runs_without_a_ui_library(tmp_path: Path) -> None:
    result = _python(_HEADLESS_COMMANDS, str(tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.splitlines()[-1]) == []


def test_the_layer_contracts_hold() -> None:
    """import-linter's contracts in pyproject.toml: the layers import downward only, and only tui/ imports Textual."""
    tool = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(tool)], capture_output=True, text=True, timeout=120, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert " kept, 0 broken." in result.stdout, result.stdout


@pytest.mark.slow
def test_the_package_is_mypy_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], capture_output=True, text=True, timeout=600,
                            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """`.ci/run` and the README's test command are one command: a contributor runs what CI runs."""
    readme = (REPO / "README.md").read_text()
    block = readme.split("this is exactly what `.ci/run` runs", 1)[1].split("```sh\n", 1)[1].split("\n```", 1)[0]
    ci = (REPO / ".ci" / "run").read_text().rstrip("\n").splitlines()
    assert ci[-1] == block
    assert " -n 2" in block and "set -euo pipefail" in ci


def test_the_public_api_names_all_resolve() -> None:
    assert sorted(abm_tui.__all__) == sorted(abm_tui._HOMES)
    for name in abm_tui.__all__:
        assert getattr(abm_tui, name) is not None
