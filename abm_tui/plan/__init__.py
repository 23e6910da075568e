"""The plan, the contract: its model, strict parsing, saving, paths, rules rendered to Polars, SQL and
words, validation against the data, every edit a planner can make, and two plans compared in words."""
