from dataclasses import replace

from provenance.labels import SPEC_VERSION
from provenance.models import (
    Action,
    CaptureFacts,
    Extent,
    ExtentMethod,
    GeoLocation,
    Region,
    TrainingPreference,
)
from provenance.sign.manifest import ManifestPlan, build_definition
from provenance.store import parse_action, parse_manifest


def _ai_action() -> Action:
    return Action(
        "c2pa.edited",
        digital_source_type="compositeWithTrainedAlgorithmicMedia",
        software_agent="GenFill/2.1",
        description="Replaced the sky",
        extent=Extent(
            0.1934, ExtentMethod.MEASURED, (Region(0.5, 0.1, 0.45, 0.55),), magnitude=0.31
        ),
    )


def test_action_round_trip_keeps_extent_and_regions() -> None:
    definition = build_definition(ManifestPlan(title="x.jpg", actions=(_ai_action(),)))
    entry = definition["assertions"][0]["data"]["actions"][0]
    assert entry["digitalSourceType"].endswith("/compositeWithTrainedAlgorithmicMedia")
    assert entry["softwareAgent"] == {"name": "GenFill", "version": "2.1"}
    roi = entry["changes"][0]["region"][0]
    assert roi["shape"]["unit"] == "percent"
    assert roi["shape"]["origin"] == {"x": 50.0, "y": 10.0}
    parsed = parse_action(entry)
    assert parsed is not None
    assert parsed.ai
    assert parsed.software_agent == "GenFill/2.1"
    assert parsed.extent is not None
    assert parsed.extent.area_fraction == 0.1934
    assert parsed.extent.method is ExtentMethod.MEASURED
    assert parsed.extent.regions == (Region(0.5, 0.1, 0.45, 0.55),)


def test_capture_written_to_metadata_without_location_unless_given() -> None:
    capture = CaptureFacts(
        source="digitalCapture", make="BarCam", model="BC-1", taken_at="2026-11-01T09:30:00"
    )
    plan = ManifestPlan(
        title="x.jpg",
        actions=(Action("c2pa.created", "digitalCapture"),),
        capture=capture,
        training=TrainingPreference.NOT_ALLOWED,
    )
    definition = build_definition(plan)
    labels = [a["label"] for a in definition["assertions"]]
    # stds.exif is deprecated (C2PA 2.2, App. C.1): only on request.
    assert labels == ["c2pa.actions.v2", "c2pa.metadata", "cawg.training-mining"]
    assert "exif:GPSLatitude" not in str(definition)
    legacy = build_definition(replace(plan, legacy_exif=True))
    labels = [a["label"] for a in legacy["assertions"]]
    assert labels == ["c2pa.actions.v2", "c2pa.metadata", "stds.exif", "cawg.training-mining"]
    assert legacy["assertions"][2]["data"] == legacy["assertions"][1]["data"]
    with_gps = build_definition(
        ManifestPlan(
            title="x.jpg",
            actions=(),
            capture=CaptureFacts(make="A", location=GeoLocation(48.5, -2.25)),
        )
    )
    metadata = with_gps["assertions"][1]["data"]
    assert metadata["exif:GPSLatitude"] == "48,30.0000N"
    assert metadata["exif:GPSLongitude"] == "2,15.0000W"


def test_actions_say_whether_they_are_complete_and_the_spec_version() -> None:
    """allActionsIncluded is always written (C2PA 2.2, 18.14.3), true only when confirmed."""
    plan = ManifestPlan(title="x.jpg", actions=(Action("c2pa.created", "digitalCapture"),))
    data = build_definition(plan)["assertions"][0]["data"]
    assert data["allActionsIncluded"] is False
    confirmed = build_definition(replace(plan, all_actions_included=True))
    assert confirmed["assertions"][0]["data"]["allActionsIncluded"] is True
    assert parse_manifest("urn:x", confirmed).all_actions_included is True
    assert parse_manifest("urn:x", build_definition(plan)).all_actions_included is False
    assert parse_manifest("urn:x", {"assertions": []}).all_actions_included is None
    info = build_definition(plan)["claim_generator_info"][0]
    assert info["specVersion"] == SPEC_VERSION
    major, minor, patch = SPEC_VERSION.split(".")  # SemVer, not a bare "2.2"
    assert (major, minor) == ("2", "2") and patch.isdigit()


def test_parse_manifest_reads_capture_and_training() -> None:
    definition = build_definition(
        ManifestPlan(
            title="x.jpg",
            actions=(Action("c2pa.created", "digitalCapture"),),
            capture=CaptureFacts(make="BarCam", model="BC-1"),
            training=TrainingPreference.NOT_ALLOWED,
        )
    )
    manifest = parse_manifest(
        "urn:x", {**definition, "signature_info": {"issuer": "Doe Studio", "common_name": "Jane"}}
    )
    assert manifest.capture is not None
    assert (manifest.capture.make, manifest.capture.model, manifest.capture.source) == (
        "BarCam",
        "BC-1",
        "digitalCapture",
    )
    assert manifest.training == "notAllowed"
    assert manifest.signature.issuer == "Doe Studio"


def test_parse_is_robust_to_garbage() -> None:
    manifest = parse_manifest(
        "urn:y",
        {
            "assertions": [
                None,
                3,
                {"label": 5},
                {"label": "c2pa.actions", "data": {"actions": [{"action": None}, "x"]}},
            ],
            "ingredients": "nope",
        },
    )
    assert manifest.actions == ()
    assert manifest.ingredients == ()
    hostile = parse_action(
        {
            "action": "c2pa.edited\x1b[31m",
            "description": "\u202eevil",
            "changes": [
                {
                    "region": [
                        {
                            "type": "spatial",
                            "shape": {
                                "type": "rectangle",
                                "unit": "percent",
                                "origin": {"x": 500, "y": -3},
                                "width": 1e9,
                                "height": "x",
                            },
                        }
                    ]
                }
            ],
        }
    )
    assert hostile is not None
    assert "\x1b" not in hostile.action
    assert hostile.description == "evil"
    assert hostile.extent is None or hostile.extent.regions == ()
