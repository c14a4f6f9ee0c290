"""Errors as RFC 9457 problem details (``application/problem+json``).

Every request the server refuses gets one small JSON object: ``type`` (a URI
naming the kind of problem, stable for scripts), ``title`` (the same for every
occurrence of that type), ``status`` (the HTTP status), ``detail`` (one
sentence for a person about this occurrence).  Verdicts are never problems: a
tampered file is a 200 with ``"verdict": "invalid"`` in the body.
Details never name a folder of the server (RFC 9457, section 5: "Security
Considerations").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MEDIA_TYPE = "application/problem+json"
_TYPE_BASE = "urn:provenance:problem:"

#: type suffix -> (HTTP status, title).
KINDS: dict[str, tuple[int, str]] = {
    "bad-request": (400, "The request cannot be used"),
    "unauthorized": (401, "A valid API token is needed"),
    "forbidden": (403, "The request was refused"),
    "not-found": (404, "Nothing is here"),
    "method-not-allowed": (405, "This method is not allowed here"),
    "no-policy": (409, "This server has no policy"),
    "too-large": (413, "The upload is too large"),
    "unsupported-media-type": (415, "Send multipart/form-data or JSON"),
    "misdirected": (421, "This server does not answer to that host name"),
    "busy": (503, "The server is busy"),
    "internal": (500, "Something went wrong inside the server"),
}


@dataclass(slots=True)
class ProblemError(Exception):
    """A refused request; the app turns it into a problem response (or an HTML page)."""

    kind: str
    detail: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown problem kind {self.kind!r}")
        Exception.__init__(self, self.detail)

    @property
    def status(self) -> int:
        """The HTTP status code."""
        return KINDS[self.kind][0]

    @property
    def title(self) -> str:
        """The short, fixed title of this kind of problem."""
        return KINDS[self.kind][1]

    def body(self) -> dict[str, Any]:
        """The problem object (RFC 9457, section 3)."""
        return {
            "type": _TYPE_BASE + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }


def problem_schema() -> dict[str, Any]:
    """The JSON Schema of a problem object, for the OpenAPI document."""
    return {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "format": "uri", "enum": [_TYPE_BASE + k for k in KINDS]},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
        },
    }
