"""AI markers and CAWG identities of a manifest, as the reference viewer reads them.

AI signals (what the Verify site's generative-info selectors count, and one more):
IPTC/C2PA ``digitalSourceType`` on actions (C2PA 2.x, 18.5); Adobe's vendor parameter
``com.adobe.digitalSourceType`` on an action (Firefly and third-party models in
Photoshop); the legacy ``com.adobe.generative-ai`` assertion (Firefly, 2023); and an
ingredient whose own credentials, source type or AI-model data type declare AI.

Identities: ``cawg.identity`` assertions (CAWG Identity Assertion 1.1), with what
c2pa-rs found when it validated them (``cawg.*`` status codes on that assertion).
"""

from __future__ import annotations

from dataclasses import replace

from provenance.models import (
    Action,
    AISignal,
    AISignalKind,
    DigitalSourceType,
    Identity,
    source_type_is_ai,
)
from provenance.store import ManifestData, StatusEntry, StoreData


def _term(value: str | None) -> str | None:
    parsed = DigitalSourceType.parse(value)
    return parsed.value if parsed else value


def action_signals(actions: tuple[Action, ...]) -> list[AISignal]:
    """One signal per AI action, naming whether its source type was its own or Adobe's."""
    out = []
    for action in actions:
        if not action.ai:
            continue
        kind = (
            AISignalKind.ADOBE_PARAMETER
            if action.source_type_from == "adobe_parameter"
            else AISignalKind.DIGITAL_SOURCE_TYPE
        )
        out.append(
            AISignal(kind, _term(action.digital_source_type), action.action, action.software_agent)
        )
    return out


def manifest_declares_ai(manifest: ManifestData) -> bool:
    """Whether a manifest's own markers declare AI (actions or the legacy assertion)."""
    return manifest.legacy_generative_ai is not None or any(a.ai for a in manifest.actions)


def ingredient_signals(manifest: ManifestData, store: StoreData) -> list[AISignal]:
    """Ingredients of this manifest that declare AI, each as one signal."""
    out = []
    for ingredient in manifest.ingredients:
        child = store.manifests.get(ingredient.manifest_label or "")
        where = f"ingredient ({ingredient.relationship})"
        if source_type_is_ai(ingredient.digital_source_type):
            out.append(
                AISignal(
                    AISignalKind.INGREDIENT,
                    _term(ingredient.digital_source_type),
                    where,
                    ingredient.title,
                )
            )
        elif ingredient.model_types:
            out.append(AISignal(AISignalKind.INGREDIENT, None, where, ingredient.title))
        elif child is not None and child.label != manifest.label and manifest_declares_ai(child):
            first = next((a for a in child.actions if a.ai), None)
            out.append(
                AISignal(
                    AISignalKind.INGREDIENT,
                    _term(first.digital_source_type) if first else None,
                    where,
                    ingredient.title,
                )
            )
    return out


def legacy_signal(manifest: ManifestData) -> list[AISignal]:
    """The legacy ``com.adobe.generative-ai`` assertion, when present."""
    if manifest.legacy_generative_ai is None:
        return []
    return [
        AISignal(
            AISignalKind.LEGACY_ASSERTION,
            DigitalSourceType.TRAINED_ALGORITHMIC_MEDIA.value,
            "com.adobe.generative-ai",
            manifest.legacy_generative_ai,
        )
    ]


#: Failures that mean "could not be checked here", not "broken".
_UNCHECKABLE = frozenset({"cawg.ica.did_unavailable", "cawg.identity.network_traffic_blocked"})
_UNTRUSTED = frozenset(
    {"cawg.x509.credential.untrusted", "cawg.ica.untrusted_issuer", "cawg.ica.credential.untrusted"}
)


def identities(manifest: ManifestData, statuses: tuple[StatusEntry, ...]) -> tuple[Identity, ...]:
    """The manifest's CAWG identities with the validator's findings about them."""
    if not manifest.identities:
        return ()
    cawg = [s for s in statuses if s.code.startswith("cawg.")]
    out = []
    for index, identity in enumerate(manifest.identities):
        suffix = "cawg.identity" if index == 0 else f"cawg.identity__{index}"
        mine = [
            s
            for s in cawg
            if not s.url
            or s.url.endswith("/" + suffix)
            or (index == 0 and s.url.endswith("/cawg.identity"))
        ]
        failures = [s for s in mine if s.kind == "failure"]
        codes = {s.code for s in mine}
        broken = [s.code for s in failures if s.code not in _UNTRUSTED]
        trusted: bool | None
        if codes & _UNTRUSTED:
            trusted = False
        elif any(s.code.endswith(".trusted") and s.kind == "success" for s in mine):
            trusted = True
        else:
            trusted = None
        valid: bool | None = False if broken else (True if mine else None)
        if broken and set(broken) <= _UNCHECKABLE:
            valid = None  # not broken: the issuer's keys could not be fetched (offline)
        out.append(
            replace(
                identity,
                signature_valid=valid,
                trusted=trusted,
                problems=tuple(dict.fromkeys(broken)),
            )
        )
    return tuple(out)
