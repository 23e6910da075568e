"""The command palette's workbench provider: every action of the screen in front and of the app.

Each binding with a description becomes a command named as in the footer, with its key, and its
tooltip as help, so what the palette offers is always what the keys do (nothing is listed twice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode


def actions(screen: DOMNode, app: DOMNode) -> Iterator[tuple[str, str, DOMNode, str]]:
    """(name, help, target, action) for each described binding of `screen`, then of `app`."""
    for target in (screen, app):
        for binding in type(target).BINDINGS:
            if isinstance(binding, Binding) and binding.description:
                name = f"{binding.description} ({binding.key.split(',')[0]})"
                yield name, binding.tooltip or binding.description, target, binding.action


class ActionCommands(Provider):
    """The actions of the screen the palette was opened over, named as in the footer."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        return [(name, help_text, partial(self.app.run_action, action, target))
                for name, help_text, target, action in actions(self.screen, self.app)]

    async def discover(self) -> Hits:
        for name, help_text, run in self._commands():
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, run in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)
