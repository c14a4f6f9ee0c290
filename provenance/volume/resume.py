"""Resuming a signing batch: which existing outputs are ours and done (issue 22).

A batch run again after an interruption skips the files it already signed.  Only
an output that is provably *ours and current* counts: anything else at an output
path is somebody's file, replaced only with ``--force``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from provenance.sign.request import SignRequest


def is_our_output(
    request: SignRequest, signer: tuple[str | None, str | None] | None = None
) -> bool:
    """An existing output is kept when it is newer than its inputs and verifies as ours.

    Ours: intact, its title is its own file name (what we write), and, when
    ``signer`` is given, signed by the stored identity (name and organization).
    Anything else at the output path is somebody's file, never skipped as done.
    """
    from provenance.verify.verifier import VerifyOptions, verify_file

    try:
        out_time = request.output.stat().st_mtime_ns
        if out_time < request.source.stat().st_mtime_ns:
            return False
        if request.parent is not None and out_time < request.parent.stat().st_mtime_ns:
            return False
    except OSError:
        return False
    report = verify_file(
        request.output,
        VerifyOptions(use_trust_store=False, want_thumbnails=False, remeasure=False),
    )
    if not (report.verdict.is_intact and report.title == request.output.name):
        return False
    if signer is None:
        return True
    return report.signer is not None and (report.signer.name, report.signer.organization) == signer
