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
- hard evidence: :class:`DropoutModel` (allelic dropout and drop-in), :func:`open_population_prior`,
  :func:`posterior_bounds` (certified posterior pairing intervals), :func:`mcmc_where_wide`,
  :func:`sampling_power` (which relative to sample next), :func:`exclusion_power`;
- lineage markers: :func:`y_haplotype`, :func:`mt_haplotype`, :func:`lineage_lr`;
- non-DNA evidence (:mod:`.evidence`): :func:`sex_lr`, :func:`age_lr`, :func:`place_lr`,
  :func:`date_lr`, :func:`document_lr`, ..., :func:`combine_evidence`, :func:`pairing_lrs`,
  :func:`direct_match_lr`;
- checks routed to review (:mod:`.checks`): :func:`find_misattributed`, :func:`lr0_check`,
  :func:`sex_conflicts`, :func:`uninformative_families`, :func:`is_one`;
- simulation: :func:`simulate_profiles`, :func:`simulate_dvi`, :func:`simulate_population`;
- numerics: :func:`safe_exp`, :func:`safe_exp_array`, :func:`logsumexp`.

Conventions: log values are natural logs unless a name says ``log10``; an LR is
``L(H1) / L(H2)`` with H1 the numerator.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from repatria.kinship._numeric import logsumexp, safe_exp, safe_exp_array
from repatria.kinship.dropout import DropoutModel
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
    pedmut_is_lumpable,
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
    JointGenotypeTable,
    LikelihoodResult,
    genotype_labels,
    genotype_likelihoods,
    joint_genotype_table,
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
    "repatria.kinship.pairings": (
        "ProvidedRow",
        "SetPairing",
        "joint_dvi_fixed",
        "restrict_pairings",
        "set_pairing",
    ),
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
    "repatria.kinship.evidence": (
        "AgeDistribution",
        "CombinedEvidence",
        "EvidenceFactor",
        "SEXING_METHODS",
        "SexingMethod",
        "age_at",
        "age_lr",
        "combine_evidence",
        "date_lr",
        "direct_match_lr",
        "document_lr",
        "effects_lr",
        "haversine_km",
        "pairing_lrs",
        "place_lr",
        "property_lr",
        "sex_lr",
        "unit_lr",
    ),
    "repatria.kinship.checks": (
        "LR_ONE_TOL",
        "LR0Check",
        "MisattributedRelationship",
        "ReferenceLeftOut",
        "SexConflict",
        "UninformativeFamily",
        "compare_with_one",
        "find_misattributed",
        "is_one",
        "lr0_check",
        "lr0_checks",
        "misattributed_relationship",
        "raisable",
        "sex_conflicts",
        "snap_log_lr",
        "typed_references",
        "uninformative_families",
    ),
    "repatria.kinship.priors": (
        "AssignmentPrior",
        "open_population_prior",
    ),
    "repatria.kinship.bounds": (
        "FactorModel",
        "factor_model",
        "PosteriorBounds",
        "posterior_bounds",
    ),
    "repatria.kinship.mcmc": (
        "MCMCResult",
        "mcmc_marginals",
        "mcmc_where_wide",
    ),
    "repatria.kinship.power": (
        "SamplingCandidate",
        "sampling_candidates",
        "ExclusionPower",
        "exclusion_power",
        "missing_person_exclusion_power",
        "CandidatePower",
        "SamplingPower",
        "candidate_power",
        "sampling_power",
    ),
}
_LAZY_MODULE = {name: module for module, names in _LAZY.items() for name in names}

if TYPE_CHECKING:  # the same names, for type checkers and editors
    from repatria.kinship.bounds import (
        FactorModel,
        PosteriorBounds,
        factor_model,
        posterior_bounds,
    )
    from repatria.kinship.checks import (
        LR_ONE_TOL,
        LR0Check,
        MisattributedRelationship,
        ReferenceLeftOut,
        SexConflict,
        UninformativeFamily,
        compare_with_one,
        find_misattributed,
        is_one,
        lr0_check,
        lr0_checks,
        misattributed_relationship,
        raisable,
        sex_conflicts,
        snap_log_lr,
        typed_references,
        uninformative_families,
    )
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
    from repatria.kinship.evidence import (
        SEXING_METHODS,
        AgeDistribution,
        CombinedEvidence,
        EvidenceFactor,
        SexingMethod,
        age_at,
        age_lr,
        combine_evidence,
        date_lr,
        direct_match_lr,
        document_lr,
        effects_lr,
        haversine_km,
        pairing_lrs,
        place_lr,
        property_lr,
        sex_lr,
        unit_lr,
    )
    from repatria.kinship.fragments import (
        EncodedSamples,
        FragmentResult,
        direct_match_log_lr,
        encode_samples,
        find_fragments,
    )
    from repatria.kinship.joint import JointResult, RankedAssignment, count_assignments, joint_dvi
    from repatria.kinship.mcmc import (
        MCMCResult,
        mcmc_marginals,
        mcmc_where_wide,
    )
    from repatria.kinship.pairings import (
        ProvidedRow,
        SetPairing,
        joint_dvi_fixed,
        restrict_pairings,
        set_pairing,
    )
    from repatria.kinship.power import (
        CandidatePower,
        ExclusionPower,
        SamplingCandidate,
        SamplingPower,
        candidate_power,
        exclusion_power,
        missing_person_exclusion_power,
        sampling_candidates,
        sampling_power,
    )
    from repatria.kinship.priors import (
        AssignmentPrior,
        open_population_prior,
    )
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
    "pedmut_is_lumpable",
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
    "JointGenotypeTable",
    "joint_genotype_table",
    "genotype_labels",
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
    "set_pairing",
    "SetPairing",
    "ProvidedRow",
    "restrict_pairings",
    "joint_dvi_fixed",
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
    # hard evidence: dropout, priors, certified posteriors, which relative to sample next
    "DropoutModel",
    "AssignmentPrior",
    "open_population_prior",
    "FactorModel",
    "factor_model",
    "PosteriorBounds",
    "posterior_bounds",
    "MCMCResult",
    "mcmc_marginals",
    "mcmc_where_wide",
    "SamplingCandidate",
    "sampling_candidates",
    "ExclusionPower",
    "exclusion_power",
    "missing_person_exclusion_power",
    "CandidatePower",
    "SamplingPower",
    "candidate_power",
    "sampling_power",
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
    # non-DNA evidence as stated factors
    "AgeDistribution",
    "CombinedEvidence",
    "EvidenceFactor",
    "SEXING_METHODS",
    "SexingMethod",
    "age_at",
    "age_lr",
    "combine_evidence",
    "date_lr",
    "direct_match_lr",
    "document_lr",
    "effects_lr",
    "haversine_km",
    "pairing_lrs",
    "place_lr",
    "property_lr",
    "sex_lr",
    "unit_lr",
    # checks routed to review
    "LR_ONE_TOL",
    "LR0Check",
    "MisattributedRelationship",
    "ReferenceLeftOut",
    "SexConflict",
    "UninformativeFamily",
    "compare_with_one",
    "find_misattributed",
    "is_one",
    "lr0_check",
    "lr0_checks",
    "misattributed_relationship",
    "raisable",
    "sex_conflicts",
    "snap_log_lr",
    "typed_references",
    "uninformative_families",
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
