"""The cumulative gain curve as a picture: per tenth of the accounts by fit score, the share of the wins held.

A planner reads "the top 10% by fit score hold 19% of the wins" faster as a bar beside the one a random
order would give (10%): a plan that ranks well has bars that climb early and stand above the random ones.
The screen sets `gains` (share of accounts, share of wins) down; the chart only draws them.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

HEIGHT = 10  # rows of bars: one per 10% of the wins
EIGHTHS = " ▁▂▃▄▅▆▇█"
PLAN_WIDTH = 3
RANDOM = "░"
AXIS = 5  # "100% " and the like


def filled(share: float, row: int, height: int = HEIGHT) -> float:
    """How much of `row` (0 at the top) a bar of `share` (0..1) fills, 0..1."""
    return max(0.0, min(max(0.0, min(share, 1.0)) * height - (height - 1 - row), 1.0))


def column(share: float, row: int, height: int = HEIGHT) -> str:
    """The block a bar of `share` shows in `row`: full, an eighth step, or empty."""
    return EIGHTHS[round(filled(share, row, height) * 8)]


def shade(share: float, row: int, height: int = HEIGHT) -> str:
    """The random order's bar: shaded cells, whole ones only, so it never reads as part of the plan's."""
    return RANDOM if filled(share, row, height) >= 0.5 else " "


class GainChart(Widget):
    """Bars of the plan's gains, each beside a thin shaded bar for a random order, with axes and a legend."""

    DEFAULT_CSS = """
    GainChart {
        height: auto;
        width: auto;
    }
    """

    gains: reactive[tuple[tuple[float, float], ...]] = reactive((), layout=True)

    def render(self) -> Text:
        if not self.gains:
            return Text("no gain curve: no account has the outcome, or every one has", style="dim")
        accent = f"bold {self.app.current_theme.accent or 'cyan'}"
        text = Text()
        for row in range(HEIGHT):
            label = f"{(HEIGHT - row) * 100 // HEIGHT}%" if row in (0, HEIGHT // 2) else ""
            text.append(f"{label:>{AXIS - 1}} ", style="dim")
            for top, share in self.gains:
                text.append(column(share, row) * PLAN_WIDTH, style=accent)
                text.append(shade(top, row), style="dim")
                text.append(" ")
            text.append("\n")
        text.append(" " * AXIS)
        for top, _ in self.gains:
            text.append(f"{top:.0%}".center(PLAN_WIDTH + 1) + " ", style="dim")
        text.append("\n")
        text.append(" " * AXIS + "top accounts by fit score · ", style="dim")
        text.append("█", style=accent)
        text.append(" their share of the wins · ", style="dim")
        text.append(RANDOM, style="dim")
        text.append(" a random order's", style="dim")
        return text
