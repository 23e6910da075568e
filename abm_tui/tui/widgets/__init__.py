"""Widgets the screens compose: they post messages up and take reactives down."""
