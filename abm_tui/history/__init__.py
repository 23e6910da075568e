"""Runs over time: snapshots kept by every run, movement between two of them, diff, the quarterly
review and the weekly run's record."""
