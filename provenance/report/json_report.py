"""JSON rendering of reports: the ``provenance.report/1`` schema (schema/report.schema.json).

One file gives one object; several files give a list of objects, in the order given.
Keys are emitted in a fixed order so that output diffs and golden files are stable.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from provenance.models import (
    Action,
    CaptureFacts,
    Extent,
    HistoryEntry,
    Identity,
    KindAreas,
    PlacedCheck,
    Report,
    SignerSummary,
)
from provenance.summary import summary_of
from provenance.wording import action_label

SCHEMA_ID = "provenance.report/1"


def _signer(signer: SignerSummary | None) -> dict[str, Any] | None:
    if signer is None:
        return None
    return {
        "name": signer.name,
        "organization": signer.organization,
        "issuer": signer.issuer,
        "signed_at": signer.signed_at,
        "trusted": signer.trusted,
        "timestamp_trusted": signer.timestamp_trusted,
        "algorithm": signer.algorithm,
        "trusted_by": signer.trusted_by.value if signer.trusted_by else None,
        "trust_list": signer.trust_list,
        "trust_list_date": signer.trust_list_date,
        "revocation": signer.revocation,
        "revocation_note": signer.revocation_note,
    }


def _identity(identity: Identity) -> dict[str, Any]:
    return {
        "kind": identity.kind,
        "name": identity.name,
        "organization": identity.organization,
        "issuer": identity.issuer,
        "accounts": [
            {
                "type": a.type,
                "name": a.name,
                "username": a.username,
                "uri": a.uri,
                "provider": a.provider,
                "verified_at": a.verified_at,
            }
            for a in identity.accounts
        ],
        "signature_valid": identity.signature_valid,
        "trusted": identity.trusted,
        "problems": list(identity.problems),
    }


def _capture(capture: CaptureFacts | None) -> dict[str, Any] | None:
    if capture is None:
        return None
    out: dict[str, Any] = {
        "source": capture.source,
        "make": capture.make,
        "model": capture.model,
        "lens": capture.lens,
        "taken_at": capture.taken_at,
    }
    if capture.location is not None:
        out["location"] = {
            "latitude": capture.location.latitude,
            "longitude": capture.location.longitude,
            "altitude": capture.location.altitude,
        }
    return out


def _kinds(areas: KindAreas | None) -> dict[str, float | None] | None:
    if areas is None:
        return None
    return {"content": areas.content, "detail": areas.detail, "tone": areas.tone}


def _extent(extent: Extent | None) -> dict[str, Any] | None:
    if extent is None:
        return None
    return {
        "area_fraction": extent.area_fraction,
        "regions": [
            {"x": r.x, "y": r.y, "width": r.width, "height": r.height} for r in extent.regions
        ],
        "method": extent.method.value,
        "magnitude": extent.magnitude,
        "measured_area_fraction": extent.measured_area_fraction,
        "note": extent.note,
        "changes": [
            {
                "kind": c.kind.value,
                "area_fraction": c.area_fraction,
                "strength": c.strength,
                "strength_label": c.strength_label,
                "direction": c.direction,
                "regions": [
                    {"x": r.x, "y": r.y, "width": r.width, "height": r.height} for r in c.regions
                ],
            }
            for c in extent.changes
        ],
    }


def _action(action: Action) -> dict[str, Any]:
    return {
        "action": action.action,
        "label": action_label(action),
        "ai": action.ai,
        "digital_source_type": action.digital_source_type,
        "software_agent": action.software_agent,
        "description": action.description,
        "extent": _extent(action.extent),
    }


def _history(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "title": entry.title,
        "relationship": entry.relationship,
        "verdict": entry.verdict.value,
        "signer": _signer(entry.signer),
        "capture": _capture(entry.capture),
        "actions": [_action(a) for a in entry.actions],
        "history": [_history(h) for h in entry.history],
        "component_label": entry.component_label,
        "placed": _extent(entry.placed),
        "placed_check": _placed_check(entry.placed_check),
    }


def _placed_check(check: PlacedCheck | None) -> dict[str, Any] | None:
    if check is None:
        return None
    return {
        "result": check.result.value,
        "declared_area_fraction": check.declared_area_fraction,
        "observed_area_fraction": check.observed_area_fraction,
        "reason": check.reason,
    }


def _summary(report: Report) -> dict[str, Any]:
    summary = summary_of(report)
    return {
        "content_label": summary.content_label.value,
        "content_text": summary.content_text,
        "vouched_by": summary.vouched_by.value,
        "vouched_by_text": summary.vouched_by_text,
        "tone": summary.tone.value,
        "file_text": summary.file_text,
    }


def schema_path() -> Path:
    """The JSON Schema file this output follows (shipped as package data)."""
    return Path(__file__).resolve().parent.parent / "schema" / "report.schema.json"


def report_to_dict(report: Report) -> dict[str, Any]:
    """One report as a JSON-ready dict in schema order."""
    return {
        "schema": SCHEMA_ID,
        "file": report.file,
        "verdict": report.verdict.value,
        "exit_code": report.verdict.exit_code,
        "title": report.title,
        "format": report.format,
        "summary": _summary(report),
        "signer": _signer(report.signer),
        "capture": _capture(report.capture),
        "ai": {
            "generated": report.ai.generated,
            "edited": report.ai.edited,
            "area_fraction": report.ai.area_fraction,
            "tools": list(report.ai.tools),
            "observed_area_fraction": report.ai.observed_area_fraction,
            "consistent": report.ai.consistent,
            "undeclared_area_fraction": report.ai.undeclared_area_fraction,
            "by_kind": _kinds(report.ai.by_kind),
            "observed_by_kind": _kinds(report.ai.observed_by_kind),
            "observe_notes": list(report.ai.observe_notes),
            "signals": [
                {
                    "signal": s.kind.value,
                    "digital_source_type": s.digital_source_type,
                    "where": s.where,
                    "tool": s.tool,
                }
                for s in report.ai.signals
            ],
        },
        "identities": [_identity(i) for i in report.identities],
        "actions": [_action(a) for a in report.actions],
        "history": [_history(h) for h in report.history],
        "training": report.training,
        "remote_url": report.remote_url,
        "all_actions_included": report.all_actions_included,
        "sidecar": report.sidecar,
        "sidecar_found": report.sidecar_found,
        "redacted": list(report.redacted),
        "problems": [
            {
                "code": p.code,
                "explanation": p.explanation,
                "severity": p.severity,
                "scope": p.scope.value,
            }
            for p in report.problems
        ],
        "statements": list(report.statements),
    }


class JsonRenderer:
    """``--format json``: an object for one file, a list for several."""

    def render(self, reports: Sequence[Report]) -> str:
        """JSON text (ASCII-safe: every non-ASCII character is escaped)."""
        data: Any = (
            report_to_dict(reports[0])
            if len(reports) == 1
            else [report_to_dict(r) for r in reports]
        )
        return json.dumps(data, indent=2, ensure_ascii=True) + "\n"
