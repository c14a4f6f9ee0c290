"""The one error root of the library.

Every failure a user can meet is a :class:`ProvenanceError` carrying one plain
sentence (``str(err)``) and a ``hint`` saying what to do.  The subclasses separate
"the thing you gave us is bad" (:class:`InputError`, :class:`CredentialError`,
:class:`KeyProblem`) from "we could not carry out the operation"
(:class:`OperationError`), so the CLI can word and exit accordingly.

A "file without credentials" or "credentials that fail verification" is *not* an
error: verification returns a :class:`~provenance.models.Report` with a verdict.
"""

from __future__ import annotations


class ProvenanceError(Exception):
    """Root of every error the library raises on purpose.

    ``message`` is one sentence for a person; ``hint`` says what to do next;
    ``diagnostics`` holds extra lines (never secrets) for ``--verbose`` output.
    """

    def __init__(
        self, message: str, *, hint: str | None = None, diagnostics: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.diagnostics = diagnostics


class InputError(ProvenanceError):
    """A file or argument the user gave cannot be used (missing, unsupported, corrupt)."""


class OutputExistsError(InputError):
    """The output path exists and ``force`` was not given."""


class CredentialError(ProvenanceError):
    """A certificate, chain or trust anchor is unsuitable for what was asked."""


class KeyProblem(ProvenanceError):
    """The signing key cannot be used: missing, wrong passphrase, unsafe permissions."""


class UnsafeStorage(ProvenanceError):
    """A folder or file of the provenance home can be changed by other users, so it is not used.

    Like ssh with ``~/.ssh``: a trust store or key another user could replace is
    refused, with the ``chmod``/``chown`` that fixes it as the hint.
    """


class OperationError(ProvenanceError):
    """We could not carry out the operation (signing failed, disk full, TSA down, ...)."""


class TimestampError(OperationError):
    """The time-stamp authority could not be reached or gave no usable answer."""


class PolicyError(InputError):
    """A publisher policy file is malformed, empty or has unknown keys."""
