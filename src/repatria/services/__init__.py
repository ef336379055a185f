"""Repatria's services: the workflows the CLI, the API, the web and the reports call.

Laid out by what they serve (DESIGN.md, "How data flows"):

- :mod:`~repatria.services.pipelines`: file pipelines (a case folder, a Familias file, a
  haplotype) in, an analysis out; they never open the registry.
- :mod:`~repatria.services.workflows`: the registry workflows, in the order of the data flow:
  import, identify, review, custody, consent, notification, repatriation, accounting.
- :mod:`~repatria.services.access`: who may do what (roles and permissions), logins, and the
  audit trail of what they did.
- :mod:`~repatria.services.views`: read models for the screens, one per resource.

Review state (a candidate's status, the confirmations that stand) and the evidence a candidate
keeps live in the registry layer (:mod:`repatria.registry.review_state`,
:mod:`repatria.registry.evidence`); the words the registry accepts in :mod:`repatria.vocabulary`.
"""
