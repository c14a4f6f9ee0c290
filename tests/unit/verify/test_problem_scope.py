"""Problems are scoped: this file's own credentials, or only its history (ingredients)."""

from __future__ import annotations

from provenance.models import ProblemScope
from provenance.store import StatusEntry
from provenance.verify import HISTORY_PREFIX
from provenance.verify.verifier import _problems


def test_an_ingredients_time_stamp_is_not_this_files() -> None:
    active = (
        StatusEntry("claimSignature.validated", "success"),
        StatusEntry("signingCredential.untrusted", "failure"),
    )
    history = (
        StatusEntry("signingCredential.untrusted", "failure"),  # already said for this file
        StatusEntry("timeStamp.mismatch", "informational"),
        StatusEntry("claimSignature.mismatch", "failure"),
    )
    problems = _problems(active, history)
    assert [(p.code, p.severity, p.scope) for p in problems] == [
        ("signingCredential.untrusted", "failure", ProblemScope.ACTIVE),
        ("claimSignature.mismatch", "failure", ProblemScope.HISTORY),
        ("timeStamp.mismatch", "informational", ProblemScope.HISTORY),
    ]
    assert not problems[0].explanation.startswith(HISTORY_PREFIX)
    assert all(p.explanation.startswith(HISTORY_PREFIX) for p in problems[1:])


def test_a_code_of_this_file_is_reported_as_this_files() -> None:
    problems = _problems(
        (StatusEntry("timeStamp.mismatch", "informational"),),
        (StatusEntry("timeStamp.mismatch", "informational"),),
    )
    assert [(p.code, p.scope) for p in problems] == [("timeStamp.mismatch", ProblemScope.ACTIVE)]


def test_history_wording_reads_as_one_sentence() -> None:
    (problem,) = _problems((), (StatusEntry("timeStamp.mismatch", "informational"),))
    assert problem.explanation.startswith("Earlier in the history: the time-stamp ")
