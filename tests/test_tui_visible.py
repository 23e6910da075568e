"""What a change does, made visible in the workbench, driven with Pilot: a plan with problems opened and
fixed in place, save-as that leaves no stale autosave, deltas that survive a reorder, the cursor that
follows a moved rule, undo that says what it undid, the binding limit, and the matrix in funnel order."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from abm_tui.plan.edits import Target
from abm_tui.plan.parse import load_plan
from abm_tui.tui.app import AbmApp
from abm_tui.tui.modals import RestoreAutosave
from abm_tui.tui.screens.workbench import WorkbenchScreen
from abm_tui.userstate import autosave
from tests.pilot import settled
from tests.test_tui import opened, press_on


def status(app: AbmApp) -> str:
    return str(app.screen.query_one("#status", Static).render())


async def test_save_as_then_an_edit_then_reopen_asks_nothing(plan_copy: Path, tmp_path: Path) -> None:
    """The autosave after a save-as is of the plan as saved there (its data paths from the new folder): it
    restores, and once saved again, reopening offers nothing."""
    target = tmp_path / "elsewhere" / "q2.toml"
    target.parent.mkdir()
    async with opened(plan_copy) as (app, pilot):
        await pilot.press("w")
        await pilot.pause()
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await settled(pilot)
        await press_on(app, pilot, Target("criteria", 0), "plus")
        saved = autosave.read(target, target.parent)
        assert saved is not None and saved[0].data.accounts == load_plan(target).data.accounts
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert load_plan(target).data == saved[0].data, "ctrl+s after save-as keeps the new folder's paths"
    assert autosave.read(target, target.parent) is None
    again = AbmApp(target)
    async with again.run_test(size=(160, 48)) as pilot:
        await settled(pilot)
        assert isinstance(again.screen, WorkbenchScreen), "no restore prompt for a plan saved as it is"
        assert again.screen.sessions.session.plan.criteria[0].points == 35


async def test_the_restore_prompt_says_what_the_autosave_changes(plan_copy: Path) -> None:
    async with opened(plan_copy) as (app, pilot):
        await press_on(app, pilot, Target("tiers", 2, "fit_score", "min"), "plus")
    again = AbmApp(plan_copy)
    async with again.run_test(size=(160, 48)) as pilot:
        await settled(pilot)
        assert isinstance(again.screen, RestoreAutosave)
        said = str(again.screen.query_one("#autosave-changes", Static).render())
        assert "Tier 3: fit_score ≥ 70 -> ≥ 75" in said


def typo(plan: Path, right: str = "where = { employees =", wrong: str = "where = { employes =") -> Path:
    text = plan.read_text()
    assert right in text
    plan.write_text(text.replace(right, wrong))
    return plan


async def test_a_plan_with_a_typo_opens_with_its_problems_marked_and_is_fixed_by_picking_the_column(
        plan_copy: Path) -> None:
    from textual.widgets import OptionList

    from abm_tui.tui.modals import ChooseOne
    from abm_tui.tui.widgets.matrix_table import MatrixTable
    from abm_tui.tui.widgets.rules_tree import RulesTree

    async with opened(typo(plan_copy)) as (app, pilot):
        screen = app.screen
        assert isinstance(screen, WorkbenchScreen), "a plan that does not fit its data still opens"
        assert "2 problems" in status(app) and "employes" in status(app)
        listed = str(screen.query_one("#warnings", Static).render())
        assert "fit.criteria[2].where.employes.min: unknown column 'employes'" in listed
        assert not screen.query_one(MatrixTable).display
        tree = screen.query_one(RulesTree)
        broken = Target("criteria", 2, "employes", "min")
        assert "⚠" in str(next(n for n in tree._nodes_in(tree.root) if n.data == Target("criteria", 2)).label)
        await press_on(app, pilot, broken, "enter")
        assert isinstance(app.screen, ChooseOne)
        options = app.screen.query_one(OptionList)
        assert str(options.get_option_at_index(0).prompt).startswith("employees  (number)"), "the nearest first"
        await pilot.press("enter")
        await settled(pilot)
        assert app.screen is screen
        assert screen.query_one(MatrixTable).display, "the plan fits the data now: the matrix is back"
        assert not tree.marks
        assert "segmented" in status(app)
        session = screen.sessions.session
        assert session.plan.criteria[2].where.items[0].column == "employees"
        assert screen.query_one(MatrixTable).view.current.total == 3000


async def test_a_broken_rule_switched_off_lets_the_plan_segment_and_a_new_problem_is_refused(plan_copy: Path) -> None:
    from abm_tui.tui.widgets.matrix_table import MatrixTable

    async with opened(typo(plan_copy)) as (app, pilot):
        screen = app.screen
        await press_on(app, pilot, Target("criteria", 0), "x")  # another rule deleted (asked first): the problem
        await pilot.press("y")  # moves, and stays
        await settled(pilot)
        assert "2 problems to fix" in status(app)
        assert "⚠ fit.criteria[1].where.employes.min" in str(screen.query_one("#warnings", Static).render())
        await press_on(app, pilot, Target("criteria", 1), "o")
        assert screen.query_one(MatrixTable).display
        assert not screen.sessions.session.current_problems
        await pilot.press("ctrl+z")
        await settled(pilot)
        assert not screen.query_one(MatrixTable).display, "undo goes back to the broken plan, marked again"
        assert screen.sessions.session.current_problems


def test_amend_keeps_the_problems_there_were_and_refuses_a_new_one(plan_copy: Path) -> None:
    import pytest

    from abm_tui.errors import PlanError
    from abm_tui.plan import edits
    from abm_tui.session import Session

    with pytest.raises(PlanError, match="employes"):
        Session.open(typo(plan_copy))
    session = Session.open(plan_copy, allow_problems=True)
    assert len(session.current_problems) == 2
    assert session.amend(edits.delete(session.plan, "criteria", 0)) is None, "problems remain: no assignment"
    with pytest.raises(PlanError, match="revenue_typo"):
        session.amend(edits.rename_column(session.plan, "criteria", 2, "annual_revenue", "revenue_typo"))
    fixed = session.amend(edits.rename_column(session.plan, "criteria", 1, "employes", "employees"))
    assert fixed is not None and fixed.size == 3000 and not session.current_problems
    with pytest.raises(PlanError):
        session.apply(edits.rename_column(session.plan, "criteria", 1, "employees", "employes"))


async def test_a_data_file_where_the_plan_belongs_offers_to_start_a_plan(demo_dir: Path, tmp_path: Path) -> None:
    import shutil

    from abm_tui.tui.modals import AskText

    accounts = tmp_path / "accounts.csv"
    shutil.copy(demo_dir / "accounts.csv", accounts)
    app = AbmApp(accounts, start_from_data=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settled(pilot)
        assert isinstance(app.screen, AskText)
        assert app.screen.query_one(Input).value == str(tmp_path / "plan.toml")
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, WorkbenchScreen)
        assert app.screen.plan_path == tmp_path / "plan.toml"
        assert load_plan(tmp_path / "plan.toml").tiers, "the starter plan was written and opened"
        assert "3,000 accounts" in status(app)


def test_the_cli_without_a_terminal_still_names_init(demo_dir: Path, capsys) -> None:  # noqa: ANN001
    from abm_tui.cli import main

    assert main([str(demo_dir / "accounts.csv")]) == 1
    assert "abm-tui init" in capsys.readouterr().err


def raw_cell(app: AbmApp, row: str, col: str) -> str:
    from abm_tui.tui.widgets.matrix_table import MatrixTable

    table = app.screen.query_one(MatrixTable)
    view = table.view
    assert view is not None
    at = ((*view.current.rows, "Total").index(row), (*view.current.cols, "Total").index(col) + 1)
    return str(table.get_cell_at(at))


async def test_deltas_survive_a_stage_reorder_and_a_rename(plan_copy: Path) -> None:
    from abm_tui.tui.widgets.matrix_table import MatrixTable

    async with opened(plan_copy) as (app, pilot):
        await press_on(app, pilot, Target("tiers", 2, "fit_score", "min"), "plus")
        before = {col: raw_cell(app, "Tier 3", col) for col in app.screen.query_one(MatrixTable).view.current.cols}
        assert any(" -" in text for text in before.values()), "raising Tier 3's bar moved accounts out of it"
        await press_on(app, pilot, Target("stages", 2), "ctrl+up")
        assert app.screen.sessions.session.plan.stages[1].name == "Selecting"
        after = {col: raw_cell(app, "Tier 3", col) for col in app.screen.query_one(MatrixTable).view.current.cols}
        assert after == before, "each stage keeps its count and its change, wherever it sits"
        await press_on(app, pilot, Target("tiers", 2), "n")
        app.screen.query_one(Input).value = "Broad"
        await pilot.press("enter")
        await settled(pilot)
        assert raw_cell(app, "Broad", "Total") == raw_cell(app, "Broad", "Total").split()[0] + " " + \
            before_total(before)


def before_total(cells: dict[str, str]) -> str:
    """The change part of a row's cells summed, as the Total column shows it."""
    change = sum(int(text.split()[1].replace(",", "")) for text in cells.values() if len(text.split()) > 1)
    return f"{change:+,}"


async def test_the_matrix_reads_in_funnel_order_and_hides_an_empty_unstaged(plan_copy: Path) -> None:
    from abm_tui.tui.widgets.matrix_table import MatrixTable

    async with opened(plan_copy) as (app, pilot):
        cols = app.screen.query_one(MatrixTable).view.current.cols
        assert cols == ("Identified", "Aware", "Interested", "Considering", "Selecting", "Closed Lost", "Closed Won")
        names = [s.name for s in app.screen.sessions.session.plan.stages]
        assert names[0] == "Closed Won", "the rules keep first-match order"


async def test_the_cursor_follows_the_moved_rule_and_undo_says_what_it_undid(plan_copy: Path) -> None:
    from abm_tui.tui.widgets.rules_tree import RulesTree

    async with opened(plan_copy) as (app, pilot):
        tree = app.screen.query_one(RulesTree)
        await press_on(app, pilot, Target("stages", 3), "ctrl+up")
        assert tree.target == Target("stages", 2)
        await pilot.press("ctrl+up")
        await settled(pilot)
        assert tree.target == Target("stages", 1)
        stages = [s.name for s in app.screen.sessions.session.plan.stages]
        assert stages[:4] == ["Closed Won", "Considering", "Closed Lost", "Selecting"], "two presses, two steps up"
        await pilot.press("ctrl+z")
        await settled(pilot)
        assert "undid Considering now comes before Closed Lost" in status(app)
        await pilot.press("ctrl+y")
        await settled(pilot)
        assert "redid Considering now comes before Closed Lost" in status(app)


async def test_a_binding_limit_is_said_on_the_tier_and_when_a_lower_threshold_moves_nobody(plan_copy: Path) -> None:
    from abm_tui.tui.widgets.rules_tree import RulesTree

    async with opened(plan_copy) as (app, pilot):
        tree = app.screen.query_one(RulesTree)
        session = app.screen.sessions.session
        before = session.assignment()
        assert not before.cut_by_limit[0], "at 3,000 accounts the limit of 50 keeps every account that passes"

        def tier_label() -> str:
            return str(next(n for n in tree._nodes_in(tree.root) if n.data == Target("tiers", 0)).label)

        assert tier_label().endswith(f"{(before.tier == 0).sum():,} pass · best 50")
        await press_on(app, pilot, Target("tiers", 0, "fit_score", "min"), "minus", "minus", "minus", "minus")
        after = session.assignment()
        assert after.cut_by_limit[0] and (after.tier == 0).sum() == 50
        passed = 50 + after.cut_by_limit[0]
        assert f"Tier 1: {passed:,} accounts pass; the limit keeps 50" in status(app)
        assert f"{passed:,} pass · best 50 kept" in tier_label()


def test_the_account_view_says_its_rank_within_the_limit(demo_session) -> None:  # noqa: ANN001
    import numpy as np

    from abm_tui.engine.explain import limit_rank

    session = demo_session
    a = session.assignment()
    kept = np.flatnonzero(a.tier == 0)
    ranks = sorted(limit_rank(session.engine, session.plan, a, 0, int(row))[0] for row in kept)
    assert ranks == list(range(1, len(kept) + 1)), "those kept are the best by the limit's order"
    first = session.engine.table["account_id"][int(kept[0])]
    rank, passed = limit_rank(session.engine, session.plan, a, 0, int(kept[0]))
    assert f"→ fired: Tier 1 (ranked {rank} of the {passed:,} that pass; the limit keeps the best 50)" in \
        session.explain(first)


def test_an_autosave_whose_data_files_are_gone_is_not_offered(plan_copy: Path, tmp_path: Path) -> None:
    """As an older save-as left them: data paths that do not resolve from the plan's folder."""
    from dataclasses import replace

    plan = load_plan(plan_copy)
    assert autosave.write(plan_copy, replace(plan, name="changed")) is None
    assert autosave.read(plan_copy, plan_copy.parent) is not None
    stale = replace(plan, data=replace(plan.data, accounts="../nowhere/accounts.csv"))
    assert autosave.write(plan_copy, stale) is None
    assert autosave.read(plan_copy, plan_copy.parent) is None


def test_a_rule_switched_off_is_not_validated(plan_copy: Path) -> None:
    """The engine never evaluates it, so `validate` and `run` accept a broken rule once it is off."""
    from abm_tui.plan import edits
    from abm_tui.session import Session

    broken = load_plan(typo(plan_copy))
    session = Session(edits.toggle(broken, "criteria", 2), Session.open(plan_copy, allow_problems=True).workspace)
    assert not session.current_problems and session.assignment().size == 3000
