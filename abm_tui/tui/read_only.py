"""A read-only workbench (`abm-tui --read-only`, as `abm-tui serve --read-only` serves it to sales): the plan can
be looked at, pivoted, drilled into and reviewed, never changed or written anywhere.

The guarantee is the session thread's: it refuses every change of the plan, whatever key, dialog or palette entry
asked (an edit, undo, redo, a save), so nothing is saved or autosaved. What this module adds is that a viewer is
not offered what would be refused: a screen names in `CHANGES` the actions that change the plan or write files
(an export writes outside the session thread), and `HidesChanges` takes their keys off the footer, the keyboard
and the palette while the app is read-only.
"""

from __future__ import annotations

from typing import ClassVar

from textual.dom import DOMNode

REFUSAL = "read-only session: the plan can be looked at here, not changed, saved or exported"


def is_read_only(node: DOMNode) -> bool:
    """Whether the app `node` belongs to was opened read-only (a test's bare host app is not)."""
    return getattr(node.app, "read_only", False) is True


class HidesChanges(DOMNode):
    """Mixed into a screen: its `CHANGES` actions are disabled and hidden in a read-only app."""

    CHANGES: ClassVar[frozenset[str]] = frozenset()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.CHANGES and is_read_only(self):
            return False
        return super().check_action(action, parameters)
