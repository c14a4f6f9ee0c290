"""How much of a picture an edit changed, measured from parent and edited pixels.

Public API::

    from provenance.extent import measure_extent, extent_from_mask

Modules, one per step of the method (DESIGN.md "The AI-extent method"):
:mod:`.align` and :mod:`.geometry` (same working size; crops, zooms and rotations
refused), :mod:`.content` (structure first), :mod:`.detail` (band-pass energy on a
finer luma plane), :mod:`.kinds` (tone, strengths, the three kinds together),
:mod:`.tone` (monotone tone curves), :mod:`.measure` (Extent, declared masks,
undeclared fraction), :mod:`.morphology` (mask arithmetic), :mod:`.regions` (masks
to regions and rectangle covers).
"""

from provenance.extent.align import GeometryMismatch
from provenance.extent.detail import DetailPlane, load_plane, plane_from_image
from provenance.extent.kinds import Measurement, strength_label
from provenance.extent.measure import (
    changed_mask,
    extent_from_mask,
    extent_from_measurement,
    mask_to_array,
    measure_extent,
    measure_kinds,
    restrict,
    undeclared_fraction,
)

__all__ = [
    "DetailPlane",
    "GeometryMismatch",
    "Measurement",
    "changed_mask",
    "extent_from_mask",
    "extent_from_measurement",
    "load_plane",
    "mask_to_array",
    "measure_extent",
    "measure_kinds",
    "plane_from_image",
    "restrict",
    "strength_label",
    "undeclared_fraction",
]
