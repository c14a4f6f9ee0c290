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


def test_a_placed_part_whose_area_the_pixels_do_not_bear_out_is_undeclared_change() -> None:
    from dataclasses import replace

    from provenance.models import CheckResult, PlacedCheck

    policy = policy_from_dict({"allow_undeclared_change": False})
    wrong = replace(
        SKY_AI,
        component_label="sky\u202e",
        placed_check=PlacedCheck(CheckResult.INCONSISTENT, 0.3, 0.0),
    )
    result = evaluate(policy, _report(wrong))
    assert not result.passed
    assert result.reasons == (
        "a placed part's recorded area does not match the pixels (sky: recorded 30%, "
        "observed 0% there)",
    )
    for fine in (CheckResult.CONSISTENT, CheckResult.COULD_NOT_CHECK):
        ok = replace(SKY_AI, placed_check=PlacedCheck(fine, 0.3, 0.29))
        assert evaluate(policy, _report(ok)).passed
