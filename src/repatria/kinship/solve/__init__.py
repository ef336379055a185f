"""The steps of dvir's ``dviSolve`` workflow, each a function that returns a frozen record.

:func:`repatria.kinship.conclusions.dvi_solve` chains them; a notebook can run them one at a
time and look at the problem each one leaves:

- :mod:`~repatria.kinship.solve.records`: conclusion rows (:class:`AMRow`, :class:`PMRow`),
  the names of conclusions (:class:`Conclusion`), the step records and the result;
- :mod:`~repatria.kinship.solve.steps`: nonidentifiable MPs, exclusions, undisputed matches,
  simple families, the PM-driven step;
- :mod:`~repatria.kinship.solve.joint_step`: complex families, from their joint tables (GLR);
- :mod:`~repatria.kinship.solve.undisputed`: dvir's ``findUndisputed``;
- :mod:`~repatria.kinship.solve.problem`: reduced problems and LR0;
- :mod:`~repatria.kinship.solve.text`: the log and the table order.
"""

from repatria.kinship.solve.joint_step import complex_families_step, complex_family_step
from repatria.kinship.solve.records import (
    AM_KEYS,
    MAX_ASSIGN,
    PM_KEYS,
    AMRow,
    ComplexFamiliesStep,
    Conclusion,
    Conclusions,
    ExclusionStep,
    FamilyJoint,
    FamilyStep,
    PMRow,
    SolveSettings,
    Step,
    Undisputed,
    UndisputedRow,
    UndisputedStep,
)
from repatria.kinship.solve.steps import (
    exclusion_step,
    nonidentifiable_step,
    pm_driven_step,
    simple_families_step,
    undisputed_step,
)
from repatria.kinship.solve.undisputed import find_nonidentifiable, find_undisputed

__all__ = [
    "AM_KEYS",
    "PM_KEYS",
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
    "nonidentifiable_step",
    "exclusion_step",
    "undisputed_step",
    "simple_families_step",
    "complex_families_step",
    "complex_family_step",
    "pm_driven_step",
    "find_undisputed",
    "find_nonidentifiable",
]
