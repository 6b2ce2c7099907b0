"""Coordination workspaces: organisations prepare a joint attribution under one embargo and
publish it together, each as its own claim (issue 18; docs/coordination.md).

- :mod:`.model`: the typed objects and vocabularies (states, positions, access levels, time);
- :mod:`.rules`: who sees what and who may do what, in one place;
- :mod:`.store`: the rows, and the audited events;
- :mod:`.claims`: the claim each joined organisation publishes;
- :mod:`.views`: what each reader is shown;
- :mod:`.service`: the library API the CLI and the REST routes call.
"""
