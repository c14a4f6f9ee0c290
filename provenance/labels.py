"""C2PA labels and our own parameter names, shared by the manifest writer and reader.

Kept apart so that reading (:mod:`provenance.store`, :mod:`provenance._c2pa`) never
imports the writer, and both agree on every name.
"""

from __future__ import annotations

EXTENT_PARAMETER = "org.provenance.extent"

GENERATOR_NAME = "provenance"

ACTIONS_LABEL = "c2pa.actions.v2"

METADATA_LABEL = "c2pa.metadata"

EXIF_LABEL = "stds.exif"

TRAINING_LABEL = "cawg.training-mining"

REDACTED_ACTION = "c2pa.redacted"

#: Assertions the photographer vouches for (attributed to the signer, "created").
CREATED_ASSERTION_LABELS = (METADATA_LABEL, EXIF_LABEL, TRAINING_LABEL)

THUMBNAIL_ID = "provenance-thumbnail.jpg"

#: Assertions whose content can reveal where a photo was taken (redacted as a whole).
LOCATION_ASSERTIONS = (METADATA_LABEL, EXIF_LABEL)

#: Fields of those assertions that hold the location.
LOCATION_FIELDS = ("exif:GPSLatitude", "exif:GPSLongitude", "exif:GPSAltitude")
