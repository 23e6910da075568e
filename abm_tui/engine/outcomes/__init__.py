"""Outcomes: what the accounts that closed share, and how well a plan ranks them (DESIGN.md, "Outcomes").

One concept per module: `outcome` (which accounts count as won), `lift` (every attribute value against the
base rate), `suggest` (fit criteria learned from the lift table), `backtest` (a plan's tiers and fit score
judged on outcomes), `lookalikes` (not-yet-won accounts that look like the won ones).
"""
