"""Getting started: `init`'s starter plan from a planner's export, the demo generator and its history,
and the bundled demo data."""
