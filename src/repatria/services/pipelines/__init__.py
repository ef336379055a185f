"""File pipelines: case folders and tables in, analyses out; they never open the registry.

``dvi_analysis`` (a case folder through the DVI workflow), ``screening`` (the PM x MP LR
matrix and fragments at scale), ``kinship_eval`` (LRs of a Familias file), ``lineage``
(Y-STR and mtDNA matching) and ``simulation`` (cases for tests and power studies). The
registry workflow ``workflows.identify`` reuses :func:`dvi_analysis.analyse_problem`.
"""
