"""The plan as a tree a planner can move through: sections, rules, and each rule's tests.

The tree only shows; the workbench edits. Each node carries a `Target` saying what it stands for,
so an edit key knows what to change and the cursor can find its way back after a rebuild.

A label wider than the pane ends in an ellipsis rather than being cut (a cut `best 300` reads
`best 30`); the workbench shows the whole of the line under the cursor beside the tree.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.style import Style
from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from abm_tui.plan import rules
from abm_tui.plan.edits import Target
from abm_tui.plan.model import AnyRule, Compare, Criterion, Plan, Section, Tier, play_label

SECTIONS = (("criteria", "Fit criteria"), ("tiers", "Tiers"), ("stages", "Stages"), ("buckets", "Buckets"),
            ("plays", "Plays"), ("engagement", "Engagement"))


class RulesTree(Tree[Target]):
    """Shows a plan; `show(plan)` keeps the cursor on the same target."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__("Plan", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.auto_expand = False  # Enter edits (the workbench handles NodeSelected); space folds

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

    def show(self, plan: Plan) -> None:
        """Relabel in place when only values changed (the cursor stays put); rebuild when rules were
        added, removed or moved, then put the cursor back on the same target."""
        entries = list(_entries(plan))
        nodes = self._nodes_in(self.root)
        if [n.data for n in nodes] == [target for _, target, _ in entries]:
            for node, (_, _, label) in zip(nodes, entries, strict=True):
                if node.label != label:
                    node.set_label(label)
            return
        keep = self.target
        self.clear()
        parents: dict[int, TreeNode[Target]] = {0: self.root}
        for depth, target, label in entries:
            if depth < 2:
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
        """The same node if it still exists, else its rule, else its section."""
        nodes = self._nodes_in(self.root)
        for wanted in (target, Target(target.section, target.index), Target(target.section)):
            match = next((n for n in nodes if n.data == wanted), None)
            if match is not None:
                self.move_cursor(match)
                return


def _lineage(node: TreeNode[Target]) -> list[TreeNode[Target]]:
    """`node` and the nodes above it, top first, without the hidden root."""
    found = []
    while node.parent is not None:
        found.append(node)
        node = node.parent
    return found[::-1]


def _entries(plan: Plan) -> Iterator[tuple[int, Target, Text]]:
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
            yield 1, Target(section, i), _rule_label(rule)
            for item in rule.where.items:
                if isinstance(item, Compare):
                    yield 2, Target(section, i, item.column, item.op), Text(rules.describe_compare(item))
                else:
                    yield 2, Target(section, i, op="*"), Text(rules.describe(item), style="italic")
            if not rule.where.items:
                yield 2, Target(section, i, op="*"), Text("every account", style="italic")


def _rule_label(rule: AnyRule) -> Text:
    enabled = rule.enabled
    label = Text(rule.name, style="bold" if enabled else "dim strike")
    if isinstance(rule, Criterion):
        label.append(f"  {rule.points:+d} pts")
    if isinstance(rule, Tier):
        details = [d for d in (rule.motion, f"best {rule.limit:,}" if rule.limit else None) if d]
        if details:
            label.append("  " + " · ".join(details), style="italic")
    if not enabled:
        label.append("  (off)", style="dim")
    return label
