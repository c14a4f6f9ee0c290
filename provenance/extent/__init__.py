"""How much of a picture an edit changed, measured from parent and edited pixels.

Public API::

    from provenance.extent import measure_extent, extent_from_mask

Modules, one per step of the method (DESIGN.md "The AI-extent method"):
:mod:`.align` (same working size; crops and rotations refused), :mod:`.tone` (the
tone model and its residual), :mod:`.measure` (the changed mask and the Extent),
:mod:`.morphology` (mask arithmetic), :mod:`.regions` (masks to regions).
"""

from provenance.extent.align import GeometryMismatch
from provenance.extent.measure import (
    changed_mask,
    extent_from_mask,
    mask_to_array,
    measure_extent,
    undeclared_fraction,
)

__all__ = [
    "GeometryMismatch",
    "changed_mask",
    "extent_from_mask",
    "mask_to_array",
    "measure_extent",
    "undeclared_fraction",
]
