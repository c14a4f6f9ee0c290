"""Two C2PA implementations that share no code with c2pa-rs read what we write.

- ``encypher-c2pa`` (PyPI, Rust core, the [test] extra): in-process, offline, no telemetry.
- ``@trustnxt/c2pa-ts`` (npm, pure TypeScript): one ``node`` process reads the whole
  corpus (``c2pa_ts_read.mjs``); installed by ``.ci/run`` with ``npm ci`` here.

Every kind of file we write must be *valid* in both (integrity: signature, hashes,
hard binding; neither is given our trust anchor, so trust is not the question) and
must say the same as our own reader: the same actions, digital source types, tool
names, changed regions and ingredients, all the way down the chain.  Every tamper
class of tests/integration/test_forgery.py must be *invalid* in both.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from provenance.models import HistoryEntry, Report, Verdict
from provenance.store import roi_to_region
from provenance.verify import VerifyOptions, verify_file
from tests.validators.conftest import NOT_WRITTEN, Signed

HERE = Path(__file__).resolve().parent
C2PA_TS = HERE / "node_modules" / "@trustnxt" / "c2pa-ts"
#: Formats c2pa-ts 0.9.4 has no reader for (its README: JPEG, PNG, HEIC/HEIF, MP3, MP4).
C2PA_TS_FORMATS = {"image/jpeg", "image/png"}

KINDS = [
    "capture_jpeg",
    "capture_png",
    "capture_webp",
    "capture_tiff",
    "ai_edit",
    "generated",
    "chain_of_three",
    "redacted_edit",
    "enhancement",
    "composite",
    "sidecar",
]
TAMPERED = [
    "data_hash_mismatch",
    "signature_bit_flip",
    "assertion_hash_mismatch",
    "spliced_manifest",
    "missing_ingredient_claim",
    "sidecar_image_changed",
]
#: Tamper classes a reader does not catch, with why (a gap of that reader, not of ours).
MISSED = {
    ("c2pa-ts", "missing_ingredient_claim"): (
        "c2pa-ts 0.9.4 never checks that an ingredient's activeManifest resolves to a "
        "manifest in the store (C2PA 2.2 ingredient.manifest.missing); c2pa-rs and "
        "encypher-c2pa both report the renamed parent manifest"
    ),
}

Facts = dict[str, Any]


# ------------------------------------------------------------------ the readers


@pytest.fixture(scope="session")
def encypher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """encypher_c2pa, offline, with its preferences kept out of the user's home."""
    module = pytest.importorskip("encypher_c2pa", reason="encypher-c2pa is in the [test] extra")
    saved = {k: os.environ.get(k) for k in _ENCYPHER_ENV}
    os.environ.update(
        {
            "ENCYPHER_C2PA_CONFIG_DIR": str(tmp_path_factory.mktemp("encypher")),
            "ENCYPHER_C2PA_TELEMETRY": "off",
            "ENCYPHER_C2PA_ONLINE": "off",
            "ENCYPHER_C2PA_UPDATE_CHECK": "off",
        }
    )
    yield module
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


_ENCYPHER_ENV = (
    "ENCYPHER_C2PA_CONFIG_DIR",
    "ENCYPHER_C2PA_TELEMETRY",
    "ENCYPHER_C2PA_ONLINE",
    "ENCYPHER_C2PA_UPDATE_CHECK",
)


def _encypher_read(module: Any, item: Signed) -> Mapping[str, Any]:
    kwargs: dict[str, Any] = {"telemetry": False, "online": False}
    if item.sidecar is not None:
        kwargs["manifest_store"] = item.sidecar
    report: Mapping[str, Any] = module.verify(str(item.path), item.mime, **kwargs)
    return report


@pytest.fixture(scope="session")
def c2pa_ts(
    corpus: dict[str, Signed], tampered: dict[str, Signed], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Mapping[str, Any]]:
    """What c2pa-ts says about every file (one node process for all), keyed by path."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (.ci/run uses the machine's Node 20)")
    if not C2PA_TS.is_dir():
        pytest.skip("@trustnxt/c2pa-ts is not installed: run `npm ci --prefix tests/validators`")
    items = [*corpus.values(), *tampered.values()]
    listing = tmp_path_factory.mktemp("c2pa-ts") / "list.json"
    listing.write_text(
        json.dumps(
            [{"path": str(i.path), "sidecar": str(i.sidecar) if i.sidecar else None} for i in items]
        )
    )
    done = subprocess.run(
        [node, str(HERE / "c2pa_ts_read.mjs"), str(listing)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=HERE,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {r["path"]: r for r in json.loads(done.stdout)}


# ------------------------------------------------------------------ the facts


def _urn(uri: str | None) -> str | None:
    if not uri or "urn:c2pa:" not in uri:
        return None
    return "urn:c2pa:" + uri.split("urn:c2pa:", 1)[1].split("/", 1)[0]


def _regions(changes: Any) -> list[tuple[float, ...]]:
    out = []
    for change in changes if isinstance(changes, list) else []:
        for roi in change.get("region", []) if isinstance(change, dict) else []:
            region = roi_to_region(roi) if isinstance(roi, dict) else None
            if region is not None:
                out.append((region.x, region.y, region.width, region.height))
    return out


def _term(source_type: str | None) -> str | None:
    return source_type.rsplit("/", 1)[-1] if source_type else None


def _agent(agent: Any) -> str | None:
    if isinstance(agent, str):
        return agent
    if not isinstance(agent, dict) or not agent.get("name"):
        return None
    return f"{agent['name']}/{agent['version']}" if agent.get("version") else str(agent["name"])


def _action(action: str, source: Any, agent: Any, description: Any, changes: Any) -> Facts:
    return {
        "action": action,
        "source_type": _term(source),
        "tool": _agent(agent),
        "description": description,
        "regions": _regions(changes),
    }


def _ours(report: Report | HistoryEntry) -> Facts:
    """Our own reader's facts (c2pa-rs through provenance.verify)."""
    actions = []
    for a in report.actions:
        regions = a.extent.regions if a.extent is not None else ()
        if a.extent is not None and a.extent.changes:
            # Per-kind extents write one region of interest per rectangle of each kind.
            regions = tuple(r for change in a.extent.changes for r in change.regions)
        actions.append(
            {
                "action": a.action,
                "source_type": _term(a.digital_source_type),
                "tool": a.software_agent,
                "description": a.description,
                "regions": [(r.x, r.y, r.width, r.height) for r in regions],
            }
        )
    return {
        "actions": actions,
        "ingredients": [(h.title, h.relationship, _ours(h)) for h in report.history],
    }


def _encypher_facts(report: Mapping[str, Any]) -> Facts:
    manifests = report["manifest_report"]["manifests"]

    def facts(label: str | None, depth: int = 0) -> Facts:
        manifest = manifests.get(label) if label else None
        if manifest is None or depth > 8:
            return {"actions": [], "ingredients": []}
        actions, ingredients = [], []
        for assertion in manifest.get("assertions", []):
            data = assertion.get("data") or {}
            if assertion["label"].startswith("c2pa.actions"):
                for a in data.get("actions", []):
                    actions.append(
                        _action(
                            a["action"],
                            a.get("digitalSourceType"),
                            a.get("softwareAgent"),
                            a.get("description"),
                            a.get("changes"),
                        )
                    )
            elif assertion["label"].startswith("c2pa.ingredient"):
                child = _urn((data.get("activeManifest") or {}).get("url"))
                ingredients.append(
                    (
                        data.get("dc:title") or data.get("title"),
                        data.get("relationship"),
                        facts(child, depth + 1),
                    )
                )
        return {"actions": actions, "ingredients": ingredients}

    return facts(report["manifest_report"]["active_manifest"])


def _c2pa_ts_facts(result: Mapping[str, Any]) -> Facts:
    manifests = {m["label"]: m for m in result["manifests"]}

    def facts(label: str | None, depth: int = 0) -> Facts:
        manifest = manifests.get(label) if label else None
        if manifest is None or depth > 8:
            return {"actions": [], "ingredients": []}
        return {
            "actions": [
                _action(
                    a["action"],
                    a["digitalSourceType"],
                    a["softwareAgent"],
                    a["description"],
                    a["changes"],
                )
                for a in manifest["actions"]
            ],
            "ingredients": [
                (i["title"], i["relationship"], facts(_urn(i["activeManifest"]), depth + 1))
                for i in manifest["ingredients"]
            ],
        }

    return facts(result["active"])


def _our_report(item: Signed, root: Path) -> Report:
    return verify_file(
        item.path, VerifyOptions(trust_files=(root,), use_trust_store=False, sidecar=item.sidecar)
    )


#: Kinds a reader refuses although c2pa-rs accepts them, with why (see docs/manifest.md).
REFUSED: dict[tuple[str, str], str] = {
    ("c2pa-ts", "redacted_edit"): (
        "c2pa-ts 0.9.4 reads the claim's redacted_assertions as hashed-URI maps, but C2PA "
        "2.2 (claim-map-v2) and c2pa-rs write JUMBF URI strings, so every redaction c2pa-rs "
        "can write is assertion.missing there (docs/manifest.md, Location)"
    ),
}


def _skip_unwritten(kind: str) -> None:
    if kind in NOT_WRITTEN:
        pytest.skip(NOT_WRITTEN[kind])


def _refused(reader: str, kind: str, valid: bool) -> None:
    """xfail (strictly) where a reader is known to refuse a kind; fail if it now accepts it."""
    if (reader, kind) in REFUSED:
        assert not valid, f"{reader} now accepts {kind}: remove it from REFUSED"
        pytest.xfail(REFUSED[(reader, kind)])


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize("kind", KINDS)
def test_encypher_reads_every_kind_valid_with_our_facts(
    kind: str, corpus: dict[str, Signed], encypher: Any, root_pem_file: Path
) -> None:
    _skip_unwritten(kind)
    item = corpus[kind]
    ours = _our_report(item, root_pem_file)
    assert ours.verdict is Verdict.TRUSTED, ours.problems
    report = _encypher_read(encypher, item)
    failures = [f["code"] for f in report["validation_results"]["failure"]]
    _refused("encypher", kind, report["integrity"] == "valid")
    assert report["integrity"] == "valid", failures
    # Its only complaint may be that it does not know our test root.
    assert set(failures) <= {"signingCredential.untrusted"}, failures
    assert _encypher_facts(report) == _ours(ours)


@pytest.mark.parametrize("kind", KINDS)
def test_c2pa_ts_reads_every_kind_valid_with_our_facts(
    kind: str,
    corpus: dict[str, Signed],
    c2pa_ts: dict[str, Mapping[str, Any]],
    root_pem_file: Path,
) -> None:
    _skip_unwritten(kind)
    item = corpus[kind]
    result = c2pa_ts[str(item.path)]
    if item.mime not in C2PA_TS_FORMATS:
        assert result["supported"] is False  # the skip below is the reader's, not ours
        pytest.skip(f"c2pa-ts 0.9.4 has no {item.mime} reader (it reads JPEG, PNG, HEIF, MP3, MP4)")
    _refused("c2pa-ts", kind, bool(result["present"] and result["valid"]))
    assert result["present"] and result["valid"], result.get("failures") or result.get("crashed")
    assert _c2pa_ts_facts(result) == _ours(_our_report(item, root_pem_file))


@pytest.mark.parametrize("kind", TAMPERED)
def test_tampering_is_invalid_in_both(
    kind: str,
    tampered: dict[str, Signed],
    encypher: Any,
    c2pa_ts: dict[str, Mapping[str, Any]],
    root_pem_file: Path,
) -> None:
    item = tampered[kind]
    assert _our_report(item, root_pem_file).verdict is Verdict.INVALID
    report = _encypher_read(encypher, item)
    assert report["integrity"] != "valid", kind
    result = c2pa_ts[str(item.path)]
    caught = result["present"] is False or result["valid"] is False
    if ("c2pa-ts", kind) in MISSED:
        # Strict: the day c2pa-ts catches it, this says so.
        assert not caught, f"c2pa-ts now catches {kind}: remove it from MISSED"
        pytest.xfail(MISSED[("c2pa-ts", kind)])
    assert caught, kind
