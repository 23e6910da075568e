"""Files to canonical frames: readers for every format, CRM presets, cleaning, column typing, matching
events to accounts, and the load report that counts what was dropped and why."""
