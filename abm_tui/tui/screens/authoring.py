"""The workbench's authoring keys: new rules, plays and channels from scratch, tests added, changed,
grouped and deleted anywhere in a rule, a rule's or a play's form, the engagement settings, and the
play the matrix cell under the cursor gets.

A mixin of WorkbenchScreen, kept apart so the screen's module stays about the edit queue and the
matrix. Each key opens a dialog of `tui/screens/rule_editor.py` with the callables it needs: the plan
a change makes, its preview and its check, each waiting on the session thread from the dialog's own
workers. What a dialog answers goes through `change`, so every change is one undo step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from abm_tui.engine.profile import ColumnProfile, cell_plays, profiles, value_counts
from abm_tui.errors import AbmError
from abm_tui.history.movement import assignment_flows
from abm_tui.plan import edits, rules
from abm_tui.plan.edits import ANY, EVERY, GROUPS, SQL, Target, TestPath
from abm_tui.plan.model import Condition, Criterion, Dimension, Plan, Play, Rule, Section, Tier, play_label
from abm_tui.plan.validate import derived_for
from abm_tui.session import Session
from abm_tui.tui.screens.rule_editor import Answers, ConditionBuilder, ConfirmDelete, Field, FormDialog, Next, Outcome
from abm_tui.tui.session_thread import MatrixRequest, SessionThread
from abm_tui.tui.workers import Tokens

AUTHORING_BINDINGS = [
    Binding("a", "add", "Add", id="add", tooltip="A new rule, play or channel in the section under the cursor"),
    Binding("t", "add_test", "Add test", show=False, id="add-test",
            tooltip="A test picked from the data's columns, added to the rule or group under the cursor"),
    Binding("T", "change_test", "Change test", show=False, id="change-test",
            tooltip="Rebuild the test under the cursor: its column, its op, its value"),
    Binding("g", "group_any", "Any of", show=False, id="group-any",
            tooltip="Make the test under the cursor an alternative of an any group (t on the group adds more)"),
    Binding("exclamation_mark", "negate", "Not", show=False, id="negate",
            tooltip="Wrap the test under the cursor in a not, or unwrap a not"),
    Binding("E", "engagement", "Engagement", show=False, id="engagement",
            tooltip="Channel weights and half-lives, the windows and as-of (recomputes the engagement features)"),
]
SECTION_WORD = {Section.CRITERIA: "fit criterion", Section.TIERS: "tier", Section.STAGES: "stage",
                Section.BUCKETS: "bucket"}
READS = {Section.CRITERIA: "fit", Section.BUCKETS: "bucket", Section.STAGES: "stage", Section.TIERS: "tier"}
RECOMPUTES = ("Applying these recomputes every account's engagement features (the window counts and faded "
              "scores). Per channel: its weight, then its half-life in days (blank: weight 1, no fading).")


@dataclass(frozen=True)
class CellRequest:
    """The matrix cell under the cursor, as the screen's view names it (None: a total)."""

    token: int
    rows: str
    row: str | None
    cols: str
    col: str | None


@dataclass
class CellPlaysRead(Message):
    token: int
    text: str


def play_moves(session: Session, plan: Plan) -> str:
    """Which accounts change play under `plan` (run on the session thread); a play edit moves no tier."""
    after = session.preview(plan)
    if after is None:
        return "; ".join(str(p) for p in session.problems(plan)) or "the matrix shows its effect once applied"
    before = session.assignment()
    flows = assignment_flows(before, after, Dimension.PLAY)
    if not flows:
        return "changes the play of no account"
    listed = ", ".join(f"{a} → {b} ({n:,})" for a, b, n in flows[:3])
    return f"changes the play of {sum(n for *_, n in flows):,} accounts: {listed}"


def cell_text(session: Session, request: CellRequest) -> str:
    """`Tier 1 × Aware: Exec dinner (40), No play (12) · 3,384 of 5,000 accounts get no play` (session thread)."""
    found = cell_plays(session.engine, session.assignment(), request.rows, request.row, request.cols, request.col)
    where = " × ".join(label for label in (request.row, request.col) if label is not None) or "All accounts"
    plays = ", ".join(f"{name} ({n:,})" for name, n in found.plays[:4]) or "no accounts"
    more = f", {len(found.plays) - 4} more" if len(found.plays) > 4 else ""
    return f"{where}: {plays}{more} · {found.no_play:,} of {found.accounts:,} accounts get no play"


class Authoring(Screen[None]):
    """The base of WorkbenchScreen, whose edit queue, plan, view and cursor it uses."""

    plan: Plan
    sessions: SessionThread
    view: MatrixRequest
    change: Callable[..., None]
    target: Callable[[], Target | None]
    refuse: Callable[[str], None]
    cells: Tokens

    # -- what the dialogs wait on (from their workers, never the UI thread) --------------------------

    def _preview(self, plan: Plan) -> str:
        return self.sessions.preview(plan).result()

    def _check(self, plan: Plan) -> str | None:
        return self.sessions.ask(lambda session: "; ".join(str(p) for p in session.new_problems(plan)) or None).result()

    def _columns(self, section: Section) -> Callable[[], tuple[ColumnProfile, ...]]:
        def read() -> tuple[ColumnProfile, ...]:
            return self.sessions.ask(lambda s: profiles(s.engine.frame(s.plan), derived_for(READS[section]))).result()
        return read

    def _values(self, column: str) -> list[tuple[str, int]]:
        return self.sessions.ask(lambda s: value_counts(s.engine.frame(s.plan), column)).result()

    def _push(self, screen: ModalScreen[Outcome], then: Callable[[Answers], None] | None = None) -> None:
        """Open a dialog; a plan it answers is applied, a form's `Next` goes on to `then`."""
        def answered(outcome: Outcome) -> None:
            if isinstance(outcome, Next) and then is not None:
                then(outcome.answers)
            elif isinstance(outcome, Plan):
                self.change(outcome)
        self.app.push_screen(screen, answered)

    # -- adding ----------------------------------------------------------------------------------

    def action_add(self) -> None:
        target = self.target()
        if target is None:
            return self.refuse("move to a section in the rules pane to add a rule, a play or a channel to it")
        if target.section == "engagement":
            return self.action_engagement()
        if target.section == "plays":
            return self.play_form(None if target.index is None else target.index + 1, new=True)
        self.rule_form(Section(target.section), None if target.index is None else target.index + 1, new=True)

    def action_add_test(self) -> None:
        target = self.target()
        if target is None or target.index is None or target.section in ("plays", "engagement"):
            return self.refuse("move to a fit criterion, tier, stage or bucket (or one of its tests) to add a test")
        section, index = Section(target.section), target.index
        into = _table_of(target)
        name = section.rules(self.plan)[index].name
        where = {ANY: "a new alternative of the any group in"}.get(target.op or "", "a test to")
        plan = self.plan

        def build(condition: Condition) -> Plan:
            return edits.add_test(plan, section, index, condition, into)
        self._push(ConditionBuilder(f'Add {where} "{name}"', self._columns(section), self._values, build,
                               self._preview, self._check))

    def action_change_test(self) -> None:
        target = self.target()
        if target is None or target.index is None or target.path is None or target.op in GROUPS:
            return self.refuse("move to a test (a comparison or a sql line) to change it")
        section, index, path = Section(target.section), target.index, target.path
        plan = self.plan
        current = edits.condition_at(section.rules(plan)[index].where, path)

        def build(condition: Condition) -> Plan:
            return edits.set_condition(plan, section, index, path, condition)
        self._push(ConditionBuilder(f"Change {rules.describe(current)}", self._columns(section), self._values, build,
                               self._preview, self._check, current))

    # -- groups ----------------------------------------------------------------------------------

    def action_group_any(self) -> None:
        target = self.target()
        if target is None or target.index is None or not target.path or target.op == EVERY:
            return self.refuse("move to a test to make it an alternative of an any group")
        try:
            self.change(edits.group_any(self.plan, target.section, target.index, (target.path,)),
                        "an any group: t on it adds another alternative")
        except AbmError as err:
            self.refuse(str(err))

    def action_negate(self) -> None:
        target = self.target()
        if target is None or target.index is None or not target.path or target.op == EVERY:
            return self.refuse("move to a test to wrap it in a not")
        try:
            self.change(edits.group_not(self.plan, target.section, target.index, target.path))
        except AbmError as err:
            self.refuse(str(err))

    # -- deleting --------------------------------------------------------------------------------

    def action_delete(self) -> None:
        """A test (or a group) goes at once, one undo step; a whole rule or play is asked about first."""
        target = self.target()
        if target is None or target.index is None or target.section == "engagement":
            return self.refuse("move to a rule, a play or a test to delete it")
        plan, index = self.plan, target.index
        if target.section == "plays":
            said = f'play "{play_label(plan.plays[index])}"'
            return self._push(ConfirmDelete(said, edits.delete_play(plan, index), self._play_preview, self._check))
        if target.path is not None:
            gone = edits.describe_removal(plan, target.section, index, target.path)
            return self.change(edits.remove_condition(plan, target.section, index, target.path), f"removed {gone}")
        if target.op == EVERY:
            return self.refuse("this rule has no test to delete; x on the rule itself deletes it")
        said = edits.describe_removal(plan, target.section, index)
        self._push(ConfirmDelete(said, edits.delete(plan, target.section, index), self._preview, self._check))

    # -- forms -----------------------------------------------------------------------------------

    def author_edit(self, target: Target) -> bool:
        """Enter on what a form edits (a section, a rule, a play, a sql test); False: the screen's own edit."""
        if target.section == "engagement":
            if target.setting is not None:
                return False  # a window, a weight or a half-life: typed in place
            self.action_engagement()
        elif target.index is None:
            self.action_add()
        elif target.section == "plays":
            self.play_form(target.index, new=False)
        elif target.op == SQL:
            self.action_change_test()
        elif target.op is None:
            self.rule_form(Section(target.section), target.index, new=False)
        elif target.op in (*GROUPS, EVERY):
            self.refuse("t adds a test here; x deletes the group")
        else:
            return False
        return True

    def rule_form(self, section: Section, index: int | None, *, new: bool) -> None:
        """A new rule's name (and points, or motion and limit), then its first test; or an existing one's."""
        plan = self.plan
        existing = None if new or index is None else section.rules(plan)[index]
        fields = [Field("name", "name", existing.name if existing else "")]
        if section is Section.CRITERIA:
            fields.append(Field("points", "points", str(existing.points if isinstance(existing, Criterion) else 10)))
        if section is Section.TIERS:
            tier = existing if isinstance(existing, Tier) else Tier("")
            fields += [Field("motion", "motion", tier.motion or ""),
                       Field("limit", "limit (blank: none)", str(tier.limit) if tier.limit else "")]

        def build(answers: Answers) -> Plan:
            if existing is None:
                return edits.add_rule(plan, section, _new_rule(section, answers), index)
            assert index is not None
            changed = plan if str(answers["name"]).strip() == existing.name else \
                edits.rename(plan, section, index, str(answers["name"]))
            return _with_settings(changed, section, index, answers)

        def first_test(answers: Answers) -> None:
            rule = _new_rule(section, answers)
            at = len(section.rules(plan)) if index is None else index

            def with_test(condition: Condition) -> Plan:
                return edits.add_test(edits.add_rule(plan, section, rule, at), section, at, condition)
            self._push(ConditionBuilder(f'The first test of the new {SECTION_WORD[section]} "{rule.name}"',
                                   self._columns(section), self._values, with_test, self._preview, self._check))

        title = f"New {SECTION_WORD[section]}" if existing is None else f"{existing.name}"
        note = "" if existing is None else "Its tests: t on the rule adds one; on a test, Enter types its value, " \
            "T rebuilds it, g and ! group it under any or not, x deletes it."
        self._push(FormDialog(title, tuple(fields), build, self._preview, self._check, note, then=existing is None),
                   first_test)

    def _play_preview(self, plan: Plan) -> str:
        return self.sessions.ask(lambda session: play_moves(session, plan)).result()

    def play_form(self, index: int | None, *, new: bool) -> None:
        """A play's match (tiers, stages, buckets: none ticked matches any), campaign, CTA and sales action."""
        plan = self.plan
        play = Play() if new or index is None else plan.plays[index]
        choices = {kind: tuple(r.name for r in kind.rules(plan)) + ((kind.fallback,) if kind.fallback else ())
                   for kind in (Section.TIERS, Section.STAGES, Section.BUCKETS)}
        fields = (
            Field("name", "name (blank: its match)", play.name or ""),
            Field("campaign", "campaign", play.campaign),
            Field("cta", "CTA", play.cta),
            Field("sales_action", "sales action", play.sales_action),
            *(Field(str(kind.play_key), f"matches {kind.play_key} (none: any)", choices=choices[kind],
                    chosen=getattr(play, str(kind.play_key)) or ()) for kind in choices),
        )

        def build(answers: Answers) -> Plan:
            keys = {key: (tuple(value) or None) if isinstance(value, tuple) else str(value).strip()
                    for key, value in answers.items()}
            keys["name"] = keys["name"] or None
            if new or index is None:
                return edits.add_play(plan, Play(**keys), index)  # type: ignore[arg-type]
            return edits.set_play(plan, index, **keys)

        title = "New play" if new or index is None else f"Play: {play_label(play)}"
        self._push(FormDialog(title, fields, build, self._play_preview, self._check))

    def action_engagement(self) -> None:
        """Every channel's weight and half-life (the data's channels and the plan's), the windows and as-of."""
        from abm_tui.engine.features import CHANNELS

        plan = self.plan
        e = plan.engagement
        channels = list(dict.fromkeys((*CHANNELS, *dict(e.weights), *dict(e.half_life_days))))
        weights, half_lives = dict(e.weights), dict(e.half_life_days)
        fields: list[Field | tuple[Field, ...]] = [
            Field("recent_days", "recent window (days)", str(e.recent_days)),
            Field("window_days", "whole window (days)", str(e.window_days)),
            Field("as_of", "as of", plan.as_of.isoformat() if plan.as_of else "", hint="the newest event's day")]
        for channel in channels:
            fields.append((Field(f"w-{channel}", channel, _shown(weights.get(channel)), hint="weight 1"),
                           Field(f"h-{channel}", "", _shown(half_lives.get(channel)), hint="no half-life")))
        fields.append((Field("new", "a new channel", hint="its name"), Field("new_w", "", hint="weight 1"),
                       Field("new_h", "", hint="no half-life")))

        def build(answers: Answers) -> Plan:
            text = {key: str(value).strip() for key, value in answers.items()}
            new = text["new"]
            for prefix in ("w", "h"):
                if new and text[f"new_{prefix}"]:
                    text[f"{prefix}-{new}"] = text[f"new_{prefix}"]
            named = [*channels, new] if new else channels

            def numbers(prefix: str, first: dict[str, float]) -> dict[str, float]:
                """In the plan's order first, so a dialog left as it was changes nothing."""
                order = dict.fromkeys((*first, *named))
                return {c: edits.parse_number(text[f"{prefix}-{c}"]) for c in order if text.get(f"{prefix}-{c}")}
            as_of = dt.date.fromisoformat(text["as_of"]) if text["as_of"] else None
            return edits.set_engagement(plan, edits.parse_whole(text["recent_days"]),
                                        edits.parse_whole(text["window_days"]), numbers("w", weights),
                                        numbers("h", half_lives), as_of)

        self._push(FormDialog("Engagement", tuple(fields), _dated(build), self._preview, self._check, RECOMPUTES))

    # -- the play of the cell under the matrix cursor ----------------------------------------------

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        self.show_cell_plays()

    def show_cell_plays(self) -> None:
        from abm_tui.tui.widgets.matrix_table import MatrixTable

        table = self.query_one(MatrixTable)
        if table.view is None:
            return
        row, col = table.cell_labels()
        view = self.view
        self.cell_plays(CellRequest(self.cells.next(), view.rows, row, view.cols, col))

    @work(thread=True, exclusive=True, exit_on_error=False, group="workbench.cell-plays",
          description="finding the plays of the cell under the cursor")
    def cell_plays(self, request: CellRequest) -> None:
        text = self.sessions.ask(lambda session: cell_text(session, request)).result()
        self.post_message(CellPlaysRead(request.token, text))

    def on_cell_plays_read(self, message: CellPlaysRead) -> None:
        if self.cells.current(message.token):
            self.query_one("#cell-plays", Static).update(message.text)


def _table_of(target: Target) -> TestPath:
    """Where `t` adds: the rule's where, the group under the cursor, or the table the test sits in."""
    if target.path is None or target.op == EVERY:
        return ()
    if target.op in GROUPS:
        return target.path
    return target.path[:-1]


def _new_rule(section: Section, answers: Answers) -> Criterion | Tier | Rule:
    rule = edits.new_rule(section, str(answers["name"]))
    return _settled(rule, answers)


def _settled(rule: Criterion | Tier | Rule, answers: Answers) -> Criterion | Tier | Rule:
    if isinstance(rule, Criterion):
        return replace(rule, points=edits.parse_whole(str(answers["points"])))
    if isinstance(rule, Tier):
        limit = str(answers["limit"]).strip()
        if limit and edits.parse_whole(limit) < 1:
            raise AbmError("the limit must be a whole number of at least 1 (blank: no limit)")
        return replace(rule, motion=str(answers["motion"]).strip() or None,
                       limit=edits.parse_whole(limit) if limit else None)
    return rule


def _with_settings(plan: Plan, section: Section, index: int, answers: Answers) -> Plan:
    rule = section.rules(plan)[index]
    changed = _settled(rule, answers)
    if isinstance(changed, Criterion):
        return edits.set_points(plan, index, changed.points)
    if isinstance(changed, Tier):
        return edits.set_limit(edits.set_motion(plan, index, changed.motion), index, changed.limit)
    return plan


def _shown(value: float | None) -> str:
    return "" if value is None else rules.format_value(value)


def _dated(build: Callable[[Answers], Plan]) -> Callable[[Answers], Plan]:
    """A date typed wrong is said as the plan format says it, not as Python's ValueError."""
    def built(answers: Answers) -> Plan:
        try:
            return build(answers)
        except ValueError:
            typed = str(answers["as_of"]).strip()
            raise AbmError(f"as of: expected a date such as 2026-11-20, got {typed!r}") from None
    return built
