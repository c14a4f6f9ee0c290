"""Policy rules for placed parts: allow_ai_components, require_component_credentials."""

from __future__ import annotations

from provenance.models import Action, CaptureFacts, HistoryEntry, Report, Verdict
from provenance.volume.policy import evaluate, policy_from_dict


def _report(*components: HistoryEntry, placed: tuple[Action, ...] = ()) -> Report:
    parent = HistoryEntry(
        title="capture.jpg", relationship="parentOf", verdict=Verdict.VALID_UNTRUSTED
    )
    return Report(
        "final.jpg", Verdict.VALID_UNTRUSTED, history=(parent, *components), actions=placed
    )


SKY_AI = HistoryEntry(
    title="sky.jpg",
    relationship="componentOf",
    verdict=Verdict.VALID_UNTRUSTED,
    capture=CaptureFacts(source="trainedAlgorithmicMedia"),
    label="c2pa.ingredient.v3__1",
)
PROP = HistoryEntry(
    title="prop.png",
    relationship="componentOf",
    verdict=Verdict.NO_CREDENTIALS,
    label="c2pa.ingredient.v3__2",
)


def test_ai_components_fail_when_not_allowed() -> None:
    policy = policy_from_dict({"allow_ai_components": False})
    result = evaluate(policy, _report(SKY_AI))
    assert not result.passed and any("AI-made" in r for r in result.reasons)
    assert evaluate(policy, _report(PROP)).passed
    # The placing action can say so even when the component has no credentials.
    placed = Action(
        "c2pa.placed",
        digital_source_type="compositeWithTrainedAlgorithmicMedia",
        ingredients=(PROP.label or "",),
    )
    assert not evaluate(policy, _report(PROP, placed=(placed,))).passed


def test_components_without_credentials_fail_when_required() -> None:
    policy = policy_from_dict({"require_component_credentials": True})
    assert evaluate(policy, _report(SKY_AI)).passed
    result = evaluate(policy, _report(SKY_AI, PROP))
    assert not result.passed and any("prop.png" in r for r in result.reasons)
