"""The records of the DVI workflow: conclusion rows, settings, one record per step, the result.

Every step of :func:`repatria.kinship.conclusions.dvi_solve` returns a frozen :class:`Step`
(or a subclass that adds what that step alone knows): the problem it leaves for the next step,
the AM and PM rows it settled, the lines it adds to the log, and the LR0 of the pairings it
reported. The glue in ``conclusions`` only chains them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar

from repatria import __version__
from repatria.kinship.dvi import DVIProblem, Excluded, PairwiseResult

__all__ = [
    "AM_KEYS",
    "PM_KEYS",
    "UNDISPUTED_KEYS",
    "MAX_ASSIGN",
    "Conclusion",
    "AMRow",
    "PMRow",
    "UndisputedRow",
    "SolveSettings",
    "FamilyJoint",
    "Undisputed",
    "Step",
    "ExclusionStep",
    "UndisputedStep",
    "FamilyStep",
    "ComplexFamiliesStep",
    "Conclusions",
]

#: Columns of the AM table, in dvir's ``formatSummary`` order.
AM_KEYS = ("family", "missing", "sample", "lr", "glr", "conclusion", "comment")
#: Columns of the PM table.
PM_KEYS = ("sample", "missing", "family", "lr", "glr", "conclusion", "comment")
#: Columns of the summary of :func:`~repatria.kinship.solve.undisputed.find_undisputed` (no GLR).
UNDISPUTED_KEYS = ("family", "missing", "sample", "lr", "conclusion", "comment")
#: Largest joint table of one family (dvir's ``maxAssign``).
MAX_ASSIGN = 100_000

#: A family's PMs placed on its MPs as reference data: ``family -> {mp: pm}``.
Placed = Mapping[str, Mapping[str, str]]


class Conclusion(StrEnum):
    """A conclusion, spelled exactly as dvir's ``dviSolve`` tables spell it.

    A ``StrEnum`` member is a ``str``: it compares equal to, prints as and serialises to its
    value, so tables, logs and JSON read the same as plain strings.

    >>> Conclusion.MATCH_GLR == "Match (GLR)", f"{Conclusion.NO_MATCH}"
    (True, 'No match')
    """

    #: Settled by :func:`~repatria.kinship.solve.undisputed.find_undisputed`.
    UNDISPUTED = "Undisputed"
    #: Every pairing of the PM or MP has too many inconsistent markers.
    EXCLUDED = "Excluded"
    #: The MP is unrelated to every typed reference and every other MP.
    NONIDENTIFIABLE = "Nonidentifiable"
    #: Best joint assignment of a complex family, with GLR above the threshold.
    MATCH_GLR = "Match (GLR)"
    #: Equally likely joint assignments permute a set of PMs over a set of MPs.
    SYMMETRIC_MATCH = "Symmetric match"
    #: Exactly one pairwise LR above ``threshold2``.
    PROBABLE = "Probable"
    #: Several pairwise LRs above ``threshold2``.
    DISPUTED = "Disputed"
    #: Nothing above ``threshold2``, best LR at least 1 (or a joint analysis that settled nothing).
    INCONCLUSIVE = "Inconclusive"
    #: Best LR below 1, or no candidate left.
    NO_MATCH = "No match"


@dataclass(frozen=True, kw_only=True)
class _Row(Mapping[str, object]):
    """One row of a conclusion table; ``None`` is R's ``NA``.

    A row is also a read-only mapping over its table's columns, in the table's order
    (``row["lr"]``, ``dict(row)``, ``tuple(row) == AM_KEYS``), so code written against the
    plain-dict rows of earlier versions reads it unchanged. :meth:`to_dict` gives the plain
    dict that is serialised.

    >>> r = AMRow(family="F1", missing="M1", sample="V1", lr=2e5, conclusion=Conclusion.UNDISPUTED)
    >>> r["sample"], tuple(r) == AM_KEYS, r.to_dict()["conclusion"]
    ('V1', True, 'Undisputed')
    """

    KEYS: ClassVar[tuple[str, ...]]

    conclusion: Conclusion
    family: str | None = None
    missing: str | None = None
    sample: str | None = None
    lr: float | None = None
    glr: float | None = None
    comment: str | None = None

    def __getitem__(self, key: str) -> object:
        if key not in self.KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.KEYS)

    def __len__(self) -> int:
        return len(self.KEYS)

    def to_dict(self) -> dict[str, Any]:
        """The row as a plain dict, keys in the table's order, the conclusion as a plain ``str``."""
        out: dict[str, Any] = {k: getattr(self, k) for k in self.KEYS}
        out["conclusion"] = str(self.conclusion)
        return out

    def as_am(self) -> AMRow:
        """The same conclusion as an AM-table row."""
        return AMRow(**self._values())

    def as_pm(self) -> PMRow:
        """The same conclusion as a PM-table row."""
        return PMRow(**self._values())

    def _values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, kw_only=True)
class AMRow(_Row):
    """A row of the AM table (one per MP); columns :data:`AM_KEYS`."""

    KEYS: ClassVar[tuple[str, ...]] = AM_KEYS


@dataclass(frozen=True, kw_only=True)
class PMRow(_Row):
    """A row of the PM table (one per PM sample); columns :data:`PM_KEYS`."""

    KEYS: ClassVar[tuple[str, ...]] = PM_KEYS


@dataclass(frozen=True, kw_only=True)
class UndisputedRow(_Row):
    """A row of :attr:`Undisputed.summary`; columns :data:`UNDISPUTED_KEYS` (``glr`` is unset)."""

    KEYS: ClassVar[tuple[str, ...]] = UNDISPUTED_KEYS


@dataclass(frozen=True)
class SolveSettings:
    """The thresholds and options of one :func:`~repatria.kinship.conclusions.dvi_solve` run.

    Attributes
    ----------
    threshold : LR threshold of undisputed matches, and GLR threshold of joint matches.
    threshold2 : LR threshold of *Probable* matches (simple families, PM-driven step).
    max_incomp : a pairing with more inconsistent markers than this is excluded.
    ignore_sex : every pairing is considered, whatever the sexes.
    limit : after each undisputed step only pairings with pairwise LR ``>= limit`` (``> 0`` when
        ``limit`` is 0) are kept, and ``"*"`` always (dvir's ``pairwiseLR``).
    max_assign : the largest joint table of one family.
    """

    threshold: float = 1e4
    threshold2: float = 1e3
    max_incomp: int = 2
    ignore_sex: bool = False
    limit: float = 0.0
    max_assign: int = MAX_ASSIGN

    def as_dict(self) -> dict[str, Any]:
        """The settings as :attr:`Conclusions.parameters` reports them."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class FamilyJoint:
    """The joint table of one complex family, best assignment first.

    Attributes
    ----------
    family : the family.
    pm, missing : the PMs and MPs of the table.
    n_assignments : the number of assignments of the family (all of them are in ``rows`` unless
        it exceeds ``max_assign``, or some are impossible: those are left out).
    rows : ``(assignment, loglik)``, assignment PM -> MP or ``"*"``, natural-log likelihood;
        ``len(rows) <= n_assignments``.
    neglected_mass_bound : the joint engine's proven bound on what it left out (0: nothing).
    """

    family: str
    pm: tuple[str, ...]
    missing: tuple[str, ...]
    n_assignments: int
    rows: tuple[tuple[dict[str, str], float], ...]
    neglected_mass_bound: float = 0.0


@dataclass(frozen=True)
class Undisputed:
    """What :func:`~repatria.kinship.solve.undisputed.find_undisputed` settled, and what is left.

    Attributes
    ----------
    summary : one row per settled PM, in the order found: undisputed matches (comment
        ``"Step k"``), and PMs *Excluded* because no pairing was left for them (``missing`` and
        ``family`` ``None``).
    reduced : the remaining problem: settled PMs and MPs removed, the profiles of undisputed PMs
        placed on their MPs as reference data, pairings kept by dvir's ``limit`` rule and the rest
        ordered by decreasing LR (``"*"`` counts as LR 1).
    lr_matrix : the pairwise LRs of the last step, shape ``(n_pm, n_missing)`` of ``reduced``.
    transferred : ``family -> {mp: pm}``: the undisputed PMs placed in each family, in the order
        found.
    steps : how many steps were run.
    threshold, strict, limit : the arguments.
    lr_matrix_first : the pairwise LRs of the first step.
    """

    summary: tuple[UndisputedRow, ...]
    reduced: DVIProblem
    lr_matrix: PairwiseResult | None
    transferred: dict[str, dict[str, str]]
    steps: int
    threshold: float
    strict: bool
    limit: float
    lr_matrix_first: PairwiseResult | None = None
    version: str = __version__


# --------------------------------------------------------------------------------------------
# steps


@dataclass(frozen=True, kw_only=True)
class Step:
    """One step of the workflow: what it settled, and the problem it leaves for the next step.

    Attributes
    ----------
    name : the step, as the log's section title names it.
    problem : the reduced problem: the PMs and MPs this step settled are removed. It is the very
        object the step was given when ``changed`` is false.
    changed : whether the step reduced the problem.
    am, pm : the AM and PM rows the step settled.
    log : the text the step adds to the log (its section title included).
    lr0 : ``(sample, missing) -> LR0`` of the single pairings the step reported (see
        :mod:`repatria.kinship.conclusions`).
    """

    name: str
    problem: DVIProblem
    changed: bool = False
    am: tuple[AMRow, ...] = ()
    pm: tuple[PMRow, ...] = ()
    log: str = ""
    lr0: Mapping[tuple[str, str], float] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ExclusionStep(Step):
    """An exclusion step (dvir's ``findExcluded``).

    Attributes
    ----------
    pairwise : the pairwise analysis the exclusions were read from; ``None`` when there was
        nothing to pair (no PM or no MP left), and the step did nothing.
    excluded : what :func:`~repatria.kinship.dvi.find_excluded` found (``None`` with
        ``pairwise``).
    """

    pairwise: PairwiseResult | None = None
    excluded: Excluded | None = None


@dataclass(frozen=True, kw_only=True)
class UndisputedStep(Step):
    """An undisputed step (dvir's ``findUndisputed``).

    Attributes
    ----------
    undisputed : what :func:`~repatria.kinship.solve.undisputed.find_undisputed` found.
    placed : every PM placed as reference data so far, this step's included
        (``family -> {mp: pm}``).
    """

    undisputed: Undisputed
    placed: Placed = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class FamilyStep(Step):
    """The joint analysis of one complex family.

    Attributes
    ----------
    family : the family.
    joint : its joint table (``None`` if it had no candidate, or was too large, or failed).
    settled : ``pm -> mp`` of the best assignment for the PMs it settled (the basis of their
        LR0), in the order of the problem's PMs.
    """

    family: str
    joint: FamilyJoint | None = None
    settled: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ComplexFamiliesStep(Step):
    """The AM-driven step for families with several MPs, one :class:`FamilyStep` per family."""

    families: tuple[FamilyStep, ...] = ()

    @property
    def joint_tables(self) -> dict[str, FamilyJoint]:
        """``family -> FamilyJoint`` of every family analysed jointly."""
        return {s.family: s.joint for s in self.families if s.joint is not None}


# --------------------------------------------------------------------------------------------
# the result


@dataclass(frozen=True)
class Conclusions:
    """The AM- and PM-centric conclusions of a DVI case (dvir's ``dviSolve``).

    Attributes
    ----------
    am : one row per MP, columns :data:`AM_KEYS`, ordered by family then MP as in the problem.
    pm : one row per PM sample, columns :data:`PM_KEYS`, in the order of the problem.
    lr0 : ``(sample, missing) -> LR`` of that pairing with the typed references removed (see
        :mod:`repatria.kinship.conclusions`), for every reported single pairing.
    lr_matrix_first : the pairwise LRs of the first undisputed step, after the first exclusions
        (dvir's ``LRmatrix`` of the detailed output).
    exclusions_first : the pairwise analysis of the first exclusion step; its ``exclusions`` are
        dvir's ``exclusionMatrix`` (``-1`` where dvir has ``NA``).
    joint_tables : the joint table of every complex family analysed.
    log : the steps taken, in the manner of dvir's verbose output (no timings).
    parameters : thresholds and options used (:meth:`SolveSettings.as_dict`).
    steps : the record of every step, in the order run.
    version : Repatria's version.
    """

    am: tuple[AMRow, ...]
    pm: tuple[PMRow, ...]
    lr0: dict[tuple[str, str], float] = field(default_factory=dict)
    lr_matrix_first: PairwiseResult | None = None
    exclusions_first: PairwiseResult | None = None
    joint_tables: dict[str, FamilyJoint] = field(default_factory=dict)
    log: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    method: str = (
        "dvir dviSolve workflow (3.4.2): exclusions, undisputed, AM-driven (GLR), PM-driven"
    )
    version: str = __version__
    steps: tuple[Step, ...] = ()

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """``{"pm": [...], "am": [...]}``: both tables as plain dicts, ready to serialise."""
        return {"pm": [r.to_dict() for r in self.pm], "am": [r.to_dict() for r in self.am]}
