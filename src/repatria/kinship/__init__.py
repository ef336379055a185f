"""The kinship core: pure numerics, no I/O and no database.

The public contract of the library is the names in ``__all__``.
"""

from repatria.kinship._numeric import logsumexp, safe_exp
from repatria.kinship.errors import KinshipError
from repatria.kinship.lineage import (
    Haplotype,
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

__all__ = [
    "safe_exp",
    "logsumexp",
    "KinshipError",
    "Marker",
    "MutationModel",
    "mutation_matrix",
    "mutation_model",
    "is_lumpable",
    "Sex",
    "Individual",
    "Pedigree",
    "Genotype",
    "Profiles",
    "pedigree_from_rows",
    "singleton",
    "LikelihoodResult",
    "likelihood",
    "marker_likelihood",
    "genotype_likelihoods",
    "LRResult",
    "kinship_lr",
    "missing_person_lr",
    "Haplotype",
    "y_haplotype",
    "mt_haplotype",
    "haplotype_frequency",
    "lineage_lr",
]
