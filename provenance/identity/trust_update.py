"""``provenance trust update``: refresh the shipped trust lists from their official URLs.

Explicit network use only (this is the one command that downloads lists).  Each file
is fetched with a hard whole-request timeout and a size cap, then checked before
anything is replaced:

- it parses as what it should be: PEM certificates (every block valid base64 DER, at
  least one, no fewer than half of the current count: a truncated download fails
  here) or an EKU list of dotted OIDs;
- where the publisher provides a second form, both must agree: the C2PA lists are
  published as PEM and as ETSI TS 119 602 JSON (``LoTE``), and every certificate of
  the PEM must appear in the JSON.  (Neither publisher signs its lists; this
  cross-check and the parse are what can be checked.)

Only when every file of every list has passed are the new files written into
``$PROVENANCE_HOME/trust-lists/`` (under content-addressed names, beside the old ones)
and the new ``index.json`` swapped in with one ``os.replace``: readers see the old set
or the new one, never a mix.  Any failure before that leaves the old lists in place.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance.config import store_folder
from provenance.errors import OperationError
from provenance.identity.trust_lists import (
    INDEX_NAME,
    LIST_SOURCES,
    allowed_hash_list,
    eku_oids,
    lists_dir,
    pem_blocks,
)
from provenance.identity.trust_sources import TrustListSource, load_sources

DEFAULT_TIMEOUT = 20.0
MAX_LIST_BYTES = 8 * 1024 * 1024


class TrustUpdateError(OperationError):
    """The lists could not be refreshed; the old ones stay in place."""


@dataclass(frozen=True, slots=True)
class UpdatedSource:
    """What one source became."""

    id: str
    name: str
    count: int
    previous_count: int
    changed: bool


def _fetch(url: str, timeout: float) -> bytes:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TrustUpdateError(f"{url[:200]} is not an http(s) URL.")
    request = urllib.request.Request(url, headers={"User-Agent": "provenance"})  # noqa: S310
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    total = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            expected = response.headers.get("Content-Length")
            while True:
                if time.monotonic() > deadline:
                    raise TrustUpdateError(f"Downloading {url} took longer than {timeout:g} s.")
                chunk = response.read1(64 * 1024)
                if not chunk:
                    break
                total += len(chunk)
                if total > MAX_LIST_BYTES:
                    raise TrustUpdateError(f"{url} is larger than {MAX_LIST_BYTES:,} bytes.")
                chunks.append(chunk)
            if expected is not None and expected.isdigit() and int(expected) != total:
                raise TrustUpdateError(f"The download of {url} was cut short.")
    except TrustUpdateError:
        raise
    except urllib.error.HTTPError as exc:
        raise TrustUpdateError(f"The server for {url} answered HTTP {exc.code}.") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise TrustUpdateError(
            f"Cannot reach {parts.netloc} to update the trust lists (offline?); "
            "the current lists stay in use."
        ) from exc
    return b"".join(chunks)


def _json_certificates(data: bytes, url: str) -> set[bytes]:
    """The DER certificates of an ETSI TS 119 602 list of trusted entities (JSON)."""
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise TrustUpdateError(f"{url} is not valid JSON.") from exc
    found: set[bytes] = set()

    def walk(node: Any, depth: int = 0) -> None:
        if depth > 32:
            return
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "X509Certificates" and isinstance(value, list):
                    for item in value:
                        val = item.get("val") if isinstance(item, dict) else None
                        if isinstance(val, str):
                            try:
                                found.add(base64.b64decode(val, validate=True))
                            except (binascii.Error, ValueError):
                                continue
                else:
                    walk(value, depth + 1)
        elif isinstance(node, list):
            for value in node:
                walk(value, depth + 1)

    walk(doc)
    return found


def _check_pem(data: bytes, url: str, previous: int) -> int:
    blocks = pem_blocks(data)
    declared = data.count(b"-----BEGIN CERTIFICATE-----")
    if not blocks or len(blocks) != declared:
        raise TrustUpdateError(f"{url} does not hold well-formed PEM certificates.")
    if previous and len(blocks) < previous / 2:
        raise TrustUpdateError(
            f"{url} has {len(blocks)} certificates where the current list has {previous}: "
            "refusing what looks like a truncated list."
        )
    for der in blocks:
        # Every block must at least be a DER SEQUENCE of the length it claims.
        if len(der) < 4 or der[0] != 0x30:
            raise TrustUpdateError(f"{url} holds a block that is not a certificate.")
    return len(blocks)


def update_lists(
    home: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    mirror: str | None = None,
    now: dt.datetime | None = None,
) -> list[UpdatedSource]:
    """Download, check and atomically install fresh copies of every shipped list.

    ``mirror`` replaces each file's official URL by ``mirror/<file name of the URL>``
    (for an offline mirror, and for tests on loopback).
    """
    current = {s.id: s for s in load_sources(home)}
    staged: dict[str, tuple[TrustListSource, dict[str, bytes], dict[str, int]]] = {}
    budget_end = time.monotonic() + timeout
    for sid in LIST_SOURCES:
        source = current.get(sid)
        if source is None:
            continue
        contents: dict[str, bytes] = {}
        counts: dict[str, int] = {}
        for f in source.files:
            remaining = max(1.0, budget_end - time.monotonic())
            url = _mirrored(f.url, mirror)
            data = _fetch(url, remaining)
            if f.role == "ekus":
                oids = eku_oids(data.decode("utf-8", "replace"))
                if not oids:
                    raise TrustUpdateError(f"{url} holds no EKU identifiers.")
                counts[f.role] = len(oids)
            else:
                counts[f.role] = _check_pem(data, url, f.count)
                if f.check_url:
                    check_url = _mirrored(f.check_url, mirror)
                    listed = _json_certificates(_fetch(check_url, remaining), check_url)
                    missing = [d for d in pem_blocks(data) if d not in listed]
                    if missing:
                        raise TrustUpdateError(
                            f"{url} and {check_url} disagree ({len(missing)} certificates of "
                            "the PEM are not in the JSON list): not installing either."
                        )
            contents[f.role] = data
        staged[sid] = (source, contents, counts)
    return _install(home, staged, current, now or dt.datetime.now(dt.UTC))


def _mirrored(url: str, mirror: str | None) -> str:
    if not mirror:
        return url
    name = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]
    return mirror.rstrip("/") + "/" + name


def _install(
    home: Path,
    staged: Mapping[str, tuple[TrustListSource, dict[str, bytes], dict[str, int]]],
    current: Mapping[str, TrustListSource],
    now: dt.datetime,
) -> list[UpdatedSource]:
    """Write the files under content-addressed names, then swap ``index.json`` in one rename.

    The index is the commit point: until ``os.replace`` puts the new one in place,
    readers see the old index and the old files (which are still there); afterwards,
    the new ones.  Files no index names any more are removed last.
    """
    target = store_folder(home, lists_dir(home).name, create=True) or lists_dir(home)
    index: dict[str, Any] = {
        "format": 1,
        "updated_at": now.isoformat(timespec="seconds"),
        "note": "Written by provenance trust update.",
        "sources": {},
    }
    results = []
    keep = {INDEX_NAME}
    for sid, (source, contents, counts) in staged.items():
        files: dict[str, Any] = {}
        changed = False
        for f in source.files:
            data = contents[f.role]
            digest = hashlib.sha256(data).hexdigest()
            changed = changed or digest != f.sha256
            stem, dot, ext = f.path.name.partition(".")
            name = f"{stem.split('@')[0]}@{digest[:16]}{dot}{ext.split('.')[-1]}"
            keep.add(name)
            if not (target / name).is_file():
                _write_atomic(target / name, data)
            files[f.role] = {"path": name, "url": f.url, "sha256": digest, "count": counts[f.role]}
            if f.check_url:
                files[f.role]["check_url"] = f.check_url
            if f.role == "allowed":
                # Verification matches these, so it never has to parse the list itself.
                files[f.role]["hashes"] = allowed_hash_list(data)
        index["sources"][sid] = {
            "name": source.name,
            "legacy": source.legacy,
            "repository": source.repository,
            "commit": None if changed else source.commit,
            "date": now.date().isoformat() if changed else source.date,
            "issued": None if changed else source.issued,
            "files": files,
        }
        new_count = sum(v for k, v in counts.items() if k in ("anchors", "allowed"))
        results.append(UpdatedSource(sid, source.name, new_count, current[sid].count, changed))
    _write_atomic(target / INDEX_NAME, (json.dumps(index, indent=2) + "\n").encode("utf-8"))
    for old in target.iterdir():
        if old.name not in keep and not old.name.startswith("."):
            old.unlink(missing_ok=True)
    return results


def _write_atomic(path: Path, data: bytes) -> None:
    """Temp file beside the target, fsync, ``os.replace`` (files are sacred)."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
