"""Registry workflows, in the order of DESIGN.md's data flow.

1. ``imports``, ``case_import``: lab files into the registry, all or nothing.
2. ``identify`` (with ``runs``): the DVI problem from the registry, analysed, stored as a run
   and its candidates.
3. ``review``: propose, confirm, reject, revoke; ``states`` moves persons and remains.
4. ``custody``, ``consent``, ``notification``, ``repatriation`` (and disposition).
5. ``accounting``: registry counts beside the published claims.

``persons``, ``setup``, ``demo`` and ``demo_scenario`` serve the others; who may do what is in
:mod:`repatria.services.access`, and what the screens read in :mod:`repatria.services.views`.
"""
