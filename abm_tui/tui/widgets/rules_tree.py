"""The plan as a tree a planner can move through: sections, rules, and each rule's tests.

The tree only shows; the workbench edits. Each node carries a `Target` saying what it stands for,
so an edit key knows what to change and the cursor can find its way back after a rebuild.

A label wider than the pane ends in an ellipsis rather than being cut (a cut `best 300` reads
`best 30`); the workbench shows the whole of the line under the cursor beside the tree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from functools import partial

from rich.style import Style
from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from abm_tui.plan import rules
from abm_tui.plan.edits import ALL, ANY, EVERY, GROUPS, NOT, SQL, Target, TestPath
from abm_tui.plan.model import AllOf, AnyOf, AnyRule, Compare, Criterion, Not, Plan, Section, Sql, Tier, play_label

SECTIONS = (("criteria", "Fit criteria"), ("tiers", "Tiers"), ("stages", "Stages"), ("buckets", "Buckets"),
            ("plays", "Plays"), ("engagement", "Engagement"))


class RulesTree(Tree[Target]):
    """Shows a plan; `show(plan)` keeps the cursor on the same target."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__("Plan", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.auto_expand = False  # Enter edits (the workbench handles NodeSelected); space folds
        self.marks: Mapping[Target, str] = {}  # the plan's problems, at the rule or test each names
        self.passed: Mapping[str, tuple[int, int]] = {}  # per limited tier: accounts that pass it, and kept
        self._plan: Plan | None = None

    def render_label(self, node: TreeNode[Target], base_style: Style, style: Style) -> Text:
        """Ellipsised to the room left of the guides, so nothing is cut silently."""
        label = super().render_label(node, base_style, style)
        room = self.scrollable_content_region.width - self.guide_depth * (len(_lineage(node)) - 1)
        if room > 0 and label.cell_len > room:
            label.truncate(room, overflow="ellipsis")
        return label

    def get_label_width(self, node: TreeNode[Target]) -> int:
        """Labels never scroll sideways: they are ellipsised to the pane (see `render_label`)."""
        return 0

    def full_text(self, node: TreeNode[Target] | None = None) -> str:
        """The whole label of `node` (the cursor's by default), with its rule and section before it."""
        node = node or self.cursor_node
        if node is None or node.data is None:
            return ""
        return " › ".join(str(n.label) for n in _lineage(node))

    def find(self, text: str, step: int = 0) -> TreeNode[Target] | None:
        """The first node from the cursor on (`step` 0: the cursor's own; 1 the next, -1 the previous, wrapping)
        whose label, column or rule name holds `text`, case blind; folded sections count too."""
        needle = text.strip().lower()
        nodes = self._nodes_in(self.root)
        if not needle or not nodes:
            return None
        here = nodes.index(self.cursor_node) if self.cursor_node in nodes else 0
        order = [nodes[(here + step + i * (step or 1)) % len(nodes)] for i in range(len(nodes))]
        return next((n for n in order if needle in str(n.label).lower()), None)

    def reveal(self, node: TreeNode[Target]) -> None:
        """Unfold what hides `node`, then put the cursor on it."""
        parent = node.parent
        while parent is not None:
            parent.expand()
            parent = parent.parent
        self.call_after_refresh(self.move_cursor, node)

    def section_node(self, step: int) -> TreeNode[Target] | None:
        """The section after (`step` 1) or before (-1) the cursor's, wrapping."""
        sections = list(self.root.children)
        node = self.cursor_node
        while node is not None and node.parent is not self.root:
            node = node.parent
        here = sections.index(node) if node in sections else 0
        return sections[(here + step) % len(sections)] if sections else None

    @property
    def target(self) -> Target | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def count(self, passed: Mapping[str, tuple[int, int]]) -> None:
        """Say on each limited tier how many accounts pass it and how many its limit keeps."""
        if passed != self.passed:
            self.passed = passed
            if self._plan is not None:
                self.show(self._plan)

    def mark(self, marks: Mapping[Target, str]) -> None:
        """Mark the rules and tests the plan's problems name (⚠ and the problem); {} clears the marks."""
        if marks != self.marks:
            self.marks = marks
            if self._plan is not None:
                self.show(self._plan)

    def show(self, plan: Plan, at: Target | None = None) -> None:
        """Relabel in place when only values changed (the cursor stays put); rebuild when rules were
        added, removed or moved, then put the cursor back on the same target, or on `at` (a moved rule)."""
        self._plan = plan
        entries = [(depth, target, _marked(label, target, self.marks))
                   for depth, target, label in _entries(plan, self.passed)]
        nodes = self._nodes_in(self.root)
        if [n.data for n in nodes] == [target for _, target, _ in entries]:
            for node, (_, _, label) in zip(nodes, entries, strict=True):
                if node.label != label:
                    node.set_label(label)
            if at is not None:
                self.move_to(at)
            return
        keep = at or self.target
        self.clear()
        parents: dict[int, TreeNode[Target]] = {0: self.root}
        for depth, target, label in entries:
            if depth < 2 or target.op in GROUPS:
                parents[depth + 1] = parents[depth].add(label, data=target, expand=True)
            else:
                parents[depth].add_leaf(label, data=target)
        self.call_after_refresh(self.move_to, keep or Target(SECTIONS[0][0]))  # a cursor from the start

    def _nodes_in(self, node: TreeNode[Target]) -> list[TreeNode[Target]]:
        found = []
        for child in node.children:
            found.append(child)
            found.extend(self._nodes_in(child))
        return found

    def move_to(self, target: Target) -> None:
        """The same node if it still exists (a target without a path: the first test of its column and op),
        else the group it sat in, else its rule, else its section."""
        path = target.path or ()
        wanted: list[Callable[[Target], bool]] = [target.__eq__]
        if target.path is None:
            wanted.append(lambda data: replace(data, path=None) == target)
        for n in range(len(path) - 1, 0, -1):
            wanted.append(partial(_in_group, (target.section, target.index, path[:n])))
        wanted.extend((Target(target.section, target.index).__eq__, Target(target.section).__eq__))
        nodes = [n for n in self._nodes_in(self.root) if n.data is not None]
        for fits in wanted:
            match = next((n for n in nodes if n.data is not None and fits(n.data)), None)
            if match is not None:
                self.move_cursor(match)
                return


def _in_group(group: tuple[str, int | None, TestPath], data: Target) -> bool:
    return (data.section, data.index, data.path) == group


def _lineage(node: TreeNode[Target]) -> list[TreeNode[Target]]:
    """`node` and the nodes above it, top first, without the hidden root."""
    found = []
    while node.parent is not None:
        found.append(node)
        node = node.parent
    return found[::-1]


def _entries(plan: Plan, passed: Mapping[str, tuple[int, int]]) -> Iterator[tuple[int, Target, Text]]:
    """(depth, target, label) for every node, in display order: sections, rules, tests."""
    for section, title in SECTIONS:
        yield 0, Target(section), Text(title, style="bold")
        if section == "engagement":
            e = plan.engagement
            yield 1, Target(section, setting="recent_days"), Text(f"recent: last {e.recent_days} days")
            yield 1, Target(section, setting="window_days"), Text(f"window: last {e.window_days} days")
            for channel, weight in e.weights:
                yield 1, Target(section, setting=channel), Text(f"{channel} × {rules.format_value(weight)}")
            for channel, days in e.half_life_days:
                yield (1, Target(section, column=channel, setting="half_life_days"),
                       Text(f"{channel} half-life {rules.format_value(days)} d"))
            continue
        if section == "plays":
            for i, play in enumerate(plan.plays):
                yield 1, Target(section, i), Text.assemble((play_label(play), "bold"), f"  {play.campaign}")
            continue
        for i, rule in enumerate(Section(section).rules(plan)):
            yield 1, Target(section, i), _rule_label(rule, passed.get(rule.name))
            yield from _tests(section, i, rule.where, (), 2)
            if not rule.where.items:
                yield 2, Target(section, i, op=EVERY), Text("every account", style="italic")


def _tests(section: str, index: int, table: AllOf, prefix: TestPath, depth: int) -> Iterator[tuple[int, Target, Text]]:
    """A where table's tests, each with its path; `any`, `not` and an alternative of several tests are
    groups with their tests below them, so each can be edited or deleted on its own."""
    for k, item in enumerate(table.items):
        path = (*prefix, k)
        if isinstance(item, Compare):
            yield depth, Target(section, index, item.column, item.op, path=path), Text(rules.describe_compare(item))
        elif isinstance(item, Sql):
            yield depth, Target(section, index, op=SQL, path=path), Text(f"sql: {item.text}")
        elif isinstance(item, Not):
            yield depth, Target(section, index, op=NOT, path=path), Text("none of:", style="italic")
            yield from _tests(section, index, item.item, (*path, 0), depth + 1)
        elif isinstance(item, AnyOf):
            yield depth, Target(section, index, op=ANY, path=path), Text("any of:", style="italic")
            for j, alternative in enumerate(item.items):
                if len(alternative.items) == 1:
                    yield from _tests(section, index, alternative, (*path, j), depth + 1)
                else:
                    yield depth + 1, Target(section, index, op=ALL, path=(*path, j)), Text("all of:", style="italic")
                    yield from _tests(section, index, alternative, (*path, j), depth + 2)


def _marked(label: Text, target: Target, marks: Mapping[Target, str]) -> Text:
    """A test's own problem after it; a rule with any problem (its own or a test's) gets ⚠."""
    said = marks.get(target, marks.get(replace(target, path=None)))  # a problem names a test by column and op
    if said is None and target.index is not None and not target.is_test:
        said = "" if any((m.section, m.index) == (target.section, target.index) for m in marks) else None
    if said is None:
        return label
    return Text.assemble(label, (f"  ⚠ {said}".rstrip(), "bold red"))


def _rule_label(rule: AnyRule, passed: tuple[int, int] | None = None) -> Text:
    """A limited tier with its counts says whether the limit binds: "412 pass · best 50 kept" (a lower threshold
    would move no account), or "38 pass · best 50" (it keeps them all)."""
    enabled = rule.enabled
    label = Text(rule.name, style="bold" if enabled else "dim strike")
    if isinstance(rule, Criterion):
        label.append(f"  {rule.points:+d} pts")
    if isinstance(rule, Tier):
        limit = f"best {rule.limit:,}" if rule.limit else None
        if limit and passed is not None:
            binds = passed[0] > passed[1]
            limit = f"{passed[0]:,} pass · {limit}{' kept' if binds else ''}"
        details = [d for d in (rule.motion, limit) if d]
        if details:
            label.append("  " + " · ".join(details), style="italic")
    if not enabled:
        label.append("  (off)", style="dim")
    return label
