"""The Textual workbench: a thin layer over `abm_tui.session.Session`."""
