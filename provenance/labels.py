"""C2PA labels and our own parameter names, shared by the manifest writer and reader.

Kept apart so that reading (:mod:`provenance.store`, :mod:`provenance._c2pa`) never
imports the writer, and both agree on every name.
"""

from __future__ import annotations

EXTENT_PARAMETER = "org.provenance.extent"

GENERATOR_NAME = "provenance"

ACTIONS_LABEL = "c2pa.actions.v2"

#: The base label c2pa-rs matches ``builder.created_assertion_labels`` against: with
#: ``"c2pa.actions.v2"`` there the actions stay *gathered* (checked with c2pa-python
#: 0.38.1, tests/unit/sign/test_conformance_settings.py).  C2PA 2.2, 10.2.2: the
#: created assertions shall include an actions assertion.
ACTIONS_BASE_LABEL = "c2pa.actions"

#: The C2PA specification our manifests follow, as SemVer in ``claim_generator_info``
#: (``specVersion``; required by the Conformance Program rubric for spec 2.4, and
#: strict validators refuse a bare "2.2").
SPEC_VERSION = "2.2.0"

METADATA_LABEL = "c2pa.metadata"

#: Deprecated since C2PA 1.4 (2.2, App. C.1): written only with ``--legacy-exif``.
EXIF_LABEL = "stds.exif"

TRAINING_LABEL = "cawg.training-mining"

REDACTED_ACTION = "c2pa.redacted"

#: Assertions the photographer vouches for (attributed to the signer, "created"):
#: the actions (the disclosures themselves), the camera facts and the training choice.
CREATED_ASSERTION_LABELS = (ACTIONS_BASE_LABEL, METADATA_LABEL, EXIF_LABEL, TRAINING_LABEL)

#: Extension of a detached manifest store (C2PA 2.2, "External manifests").
SIDECAR_SUFFIX = ".c2pa"

THUMBNAIL_ID = "provenance-thumbnail.jpg"

#: Assertions whose content can reveal where a photo was taken (redacted as a whole).
LOCATION_ASSERTIONS = (METADATA_LABEL, EXIF_LABEL)

#: Fields of those assertions that hold the location.
LOCATION_FIELDS = ("exif:GPSLatitude", "exif:GPSLongitude", "exif:GPSAltitude")

#: The extent note on components that share one measured change (no masks to tell them
#: apart): written by sign/components.py, recognised by verify/placed.py.
SHARED_COMPONENT_NOTE = "measured change shared by several placed parts"
