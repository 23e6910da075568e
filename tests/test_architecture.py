"""The core is a library: importing it (and running headless commands) must never pull in Textual."""

from __future__ import annotations

import subprocess
import sys


def test_core_and_public_api_do_not_import_textual() -> None:
    code = (
        "import sys, abm_tui, abm_tui.cli, abm_tui.session, abm_tui.outputs.run_files, abm_tui.engine.explain, "
        "abm_tui.onboarding.demo, abm_tui.userstate.settings, abm_tui.userstate.autosave, abm_tui.engine.timeline; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'textual'); "
        "assert not bad, bad"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_the_public_api_names_all_resolve() -> None:
    import abm_tui

    assert sorted(abm_tui.__all__) == sorted(abm_tui._HOMES)
    for name in abm_tui.__all__:
        assert getattr(abm_tui, name) is not None
