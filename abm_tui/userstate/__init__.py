"""What abm-tui keeps for the user between sessions (platformdirs): settings and the autosave."""
