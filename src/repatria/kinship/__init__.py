"""The kinship core: pure numerics, no I/O and no database.

The public contract of the library is the names in ``__all__``; everything else (the modules'
underscored names, and public names of a module that are not listed here) may change. A notebook
session needs nothing more than::

    from repatria.kinship import DVIProblem, pairwise_lr, joint_dvi, dvi_solve

Groups, in the order of a DVI workflow:

- markers and pedigrees: :class:`Marker`, :func:`mutation_model`, :class:`Pedigree`, ...
- likelihoods and LRs: :func:`likelihood`, :func:`kinship_lr`, :func:`missing_person_lr`;
- a DVI case and its steps (dvir's vocabulary): :class:`DVIProblem`, :func:`relabel_dvi`,
  :func:`pairwise_lr`, :func:`find_excluded`, :func:`find_undisputed`, :func:`joint_dvi`,
  :func:`dvi_solve`;
- at scale: :func:`screen` (PM × MP candidates in blocks), :func:`find_fragments` (PM–PM);
- lineage markers: :func:`y_haplotype`, :func:`mt_haplotype`, :func:`lineage_lr`;
- simulation: :func:`simulate_profiles`, :func:`simulate_dvi`, :func:`simulate_population`;
- numerics: :func:`safe_exp`, :func:`safe_exp_array`, :func:`logsumexp`.

Conventions: log values are natural logs unless a name says ``log10``; an LR is
``L(H1) / L(H2)`` with H1 the numerator.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from repatria.kinship._numeric import logsumexp, safe_exp, safe_exp_array
from repatria.kinship.errors import KinshipError
from repatria.kinship.lineage import (
    FrequencyEstimate,
    Haplotype,
    HaplotypeComparison,
    LineageLR,
    compare_haplotypes,
    haplotype_frequency,
    lineage_lr,
    mt_haplotype,
    y_haplotype,
)
from repatria.kinship.lr import LRResult, kinship_lr, missing_person_lr
from repatria.kinship.markers import (
    Marker,
    MutationModel,
    is_lumpable,
    mutation_matrix,
    mutation_model,
)
from repatria.kinship.pedigree import (
    Genotype,
    Individual,
    Pedigree,
    Profiles,
    Sex,
    pedigree_from_rows,
    singleton,
)
from repatria.kinship.probability import (
    LikelihoodResult,
    genotype_likelihoods,
    likelihood,
    marker_likelihood,
)

#: Names of the DVI workflow, screening, fragments and simulation modules, imported on first use:
#: together they take ~40 ms to import, which a command that only reads a pedigree or a frequency
#: table should not pay (``import repatria.kinship`` starts every CLI command).
_LAZY: dict[str, tuple[str, ...]] = {
    "repatria.kinship.dvi": (
        "NOBODY",
        "DVIProblem",
        "PairwiseResult",
        "exclusion_matrix",
        "find_excluded",
        "generate_pairings",
        "pairwise_lr",
    ),
    "repatria.kinship.joint": ("JointResult", "RankedAssignment", "count_assignments", "joint_dvi"),
    "repatria.kinship.conclusions": ("dvi_solve", "find_undisputed"),
    "repatria.kinship.relabel": ("relabel_dvi",),
    "repatria.kinship.screening": ("ScreeningTables", "ScreenResult", "build_tables", "screen"),
    "repatria.kinship.fragments": (
        "EncodedSamples",
        "FragmentResult",
        "direct_match_log_lr",
        "encode_samples",
        "find_fragments",
    ),
    "repatria.kinship.simulate": (
        "SimulatedDVI",
        "SimulatedPopulation",
        "simulate_dvi",
        "simulate_population",
        "simulate_profiles",
    ),
}
_LAZY_MODULE = {name: module for module, names in _LAZY.items() for name in names}

if TYPE_CHECKING:  # the same names, for type checkers and editors
    from repatria.kinship.conclusions import dvi_solve, find_undisputed
    from repatria.kinship.dvi import (
        NOBODY,
        DVIProblem,
        PairwiseResult,
        exclusion_matrix,
        find_excluded,
        generate_pairings,
        pairwise_lr,
    )
    from repatria.kinship.fragments import (
        EncodedSamples,
        FragmentResult,
        direct_match_log_lr,
        encode_samples,
        find_fragments,
    )
    from repatria.kinship.joint import JointResult, RankedAssignment, count_assignments, joint_dvi
    from repatria.kinship.relabel import relabel_dvi
    from repatria.kinship.screening import ScreeningTables, ScreenResult, build_tables, screen
    from repatria.kinship.simulate import (
        SimulatedDVI,
        SimulatedPopulation,
        simulate_dvi,
        simulate_population,
        simulate_profiles,
    )


def __getattr__(name: str) -> object:
    """Import a name of :data:`_LAZY` from its module on first use (PEP 562)."""
    module = _LAZY_MODULE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    # errors
    "KinshipError",
    # markers
    "Marker",
    "MutationModel",
    "mutation_matrix",
    "mutation_model",
    "is_lumpable",
    # pedigrees and genotypes
    "Sex",
    "Individual",
    "Pedigree",
    "Genotype",
    "Profiles",
    "pedigree_from_rows",
    "singleton",
    # likelihoods and LRs
    "LikelihoodResult",
    "likelihood",
    "marker_likelihood",
    "genotype_likelihoods",
    "LRResult",
    "kinship_lr",
    "missing_person_lr",
    # a DVI case, step by step
    "NOBODY",
    "DVIProblem",
    "generate_pairings",
    "relabel_dvi",
    "PairwiseResult",
    "pairwise_lr",
    "exclusion_matrix",
    "find_excluded",
    "find_undisputed",
    "JointResult",
    "RankedAssignment",
    "joint_dvi",
    "count_assignments",
    "dvi_solve",
    # at scale
    "ScreeningTables",
    "ScreenResult",
    "build_tables",
    "screen",
    "EncodedSamples",
    "FragmentResult",
    "encode_samples",
    "direct_match_log_lr",
    "find_fragments",
    # lineage markers
    "Haplotype",
    "y_haplotype",
    "mt_haplotype",
    "HaplotypeComparison",
    "compare_haplotypes",
    "FrequencyEstimate",
    "haplotype_frequency",
    "LineageLR",
    "lineage_lr",
    # simulation
    "SimulatedDVI",
    "SimulatedPopulation",
    "simulate_profiles",
    "simulate_dvi",
    "simulate_population",
    # numerics
    "safe_exp",
    "safe_exp_array",
    "logsumexp",
]
