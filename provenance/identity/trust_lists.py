"""The shipped trust lists: the C2PA Trust List, the C2PA TSA Trust List, the legacy Interim Trust List.

Trust sources (C2PA 2.x, 14.4 "Trust lists"), each named in a report when it vouches:

- ``c2pa``: the official C2PA Trust List (c2pa-org/conformance-public, ``trust-list/``):
  roots and issuing CAs of conforming products.  Their signing certificates carry the
  C2PA claim-signing EKU (1.3.6.1.4.1.62558.2.1); a certificate chaining here without
  it is not vouched for by this list.
- ``c2pa-tsa``: the C2PA TSA Trust List: time-stamp authorities, used only for the
  RFC 3161 time-stamps that date a signature (so an expired certificate with a trusted
  time-stamp stays valid).
- ``itl``: the legacy Interim Trust List of the Verify site (contentauth/verify-site,
  ``static/trust/``), frozen since 2026-01-01 and still used for older content:
  ``anchors.pem`` (roots), ``allowed.pem`` (individual end-entity certificates) and
  ``store.cfg`` (the EKUs it accepts).
- ``user``: the user's own anchors (``trust add``, ``--trust``): :mod:`provenance.identity.trust`.

A snapshot ships inside the package (``trustlists/``, with ``index.json`` naming the
source URL, commit, date and SHA-256 of each file).  ``provenance trust update``
(:mod:`provenance.identity.trust_update`) writes a newer copy under
``$PROVENANCE_HOME/trust-lists/``; a copy there is used only while its files match
their recorded hashes, otherwise the shipped snapshot is.  No network here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provenance.config import check_secure, store_folder

if TYPE_CHECKING:
    from provenance.identity.trust_sources import TrustListSource

#: The list sources we ship, in the order reports prefer them.
LIST_SOURCES = ("c2pa", "c2pa-tsa", "itl")
#: Lists verification uses unless told otherwise.
DEFAULT_ENABLED = frozenset(LIST_SOURCES)

EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4"
DOCUMENT_SIGNING = "1.3.6.1.5.5.7.3.36"
TIME_STAMPING = "1.3.6.1.5.5.7.3.8"
OCSP_SIGNING = "1.3.6.1.5.5.7.3.9"
#: id-kp-c2pa-claimSigning (C2PA 2.x, 14.5.1 "Certificate profile").
C2PA_CLAIM_SIGNING = "1.3.6.1.4.1.62558.2.1"
#: EKUs accepted for every source (c2pa-rs always accepts emailProtection itself).
BASE_EKUS = (EMAIL_PROTECTION, DOCUMENT_SIGNING, TIME_STAMPING, OCSP_SIGNING, C2PA_CLAIM_SIGNING)

INDEX_NAME = "index.json"
_PEM_RE = re.compile(
    rb"-----BEGIN CERTIFICATE-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END CERTIFICATE-----"
)
_OID_RE = re.compile(r"^\s*([0-2](?:\.\d+)+)\s*$")


def shipped_dir() -> Path:
    """The snapshot inside the package."""
    return Path(__file__).resolve().parent / "trustlists"


def lists_dir(home: Path) -> Path:
    """Where ``trust update`` keeps its copy."""
    return home / "trust-lists"


def pem_blocks(data: bytes) -> list[bytes]:
    """The DER of every PEM certificate block in ``data`` (malformed base64 is skipped)."""
    import base64
    import binascii

    out = []
    for match in _PEM_RE.finditer(data):
        try:
            out.append(base64.b64decode(b"".join(match.group(1).split()), validate=True))
        except (binascii.Error, ValueError):
            continue
    return out


def eku_oids(text: str) -> tuple[str, ...]:
    """The OIDs of a ``store.cfg`` (one per line; ``//`` comments ignored)."""
    return tuple(m.group(1) for line in text.splitlines() if (m := _OID_RE.match(line)))


def _checked_lists(home: Path | None) -> Path | None:
    """The updated lists' folder, refused (UnsafeStorage) when another user could change it.

    Its index binds every list file by SHA-256, so the folder and the index are
    what must be ours (as for ``trust/``, :func:`provenance.config.store_folder`).
    """
    if home is None:
        return None
    folder = store_folder(home, lists_dir(home).name)
    if folder is not None and (folder / INDEX_NAME).exists():
        check_secure(folder / INDEX_NAME, what="trust list index")
    return folder


def load_sources(home: Path | None) -> tuple[TrustListSource, ...]:
    """The list sources as values (:func:`provenance.identity.trust_sources.load_sources`)."""
    from provenance.identity.trust_sources import load_sources as _load

    return _load(home)


@dataclass(frozen=True, slots=True)
class TrustMaterial:
    """What one verification trusts, split the way c2pa reports where trust came from.

    c2pa-rs says whether a signer chained to its *system* anchors (``trust.trust_anchors``)
    or its *user* anchors (``trust.user_anchors``).  The C2PA list (and the TSA list, for
    time-stamps) go in the first, the Interim Trust List's roots and the user's own anchors
    in the second; the ITL's allowed end-entity certificates are matched by us
    (c2pa-python 0.38.1 ignores ``trust.allowed_list``: docs/trust.md).
    """

    system_pem: str = ""
    user_pem: str = ""
    #: The user's own anchors alone (to tell them from the ITL's when both are in use).
    own_pem: str = ""
    trust_config: str = ""
    allowed_hashes: frozenset[str] = frozenset()
    enabled: frozenset[str] = frozenset()
    #: source id -> snapshot date, for the report ("C2PA Trust List, snapshot 2026-08-14").
    dates: Mapping[str, str] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Nothing to trust at all: c2pa can read without any trust settings."""
        return not (self.system_pem or self.user_pem or self.allowed_hashes)


_cache: dict[tuple[Any, ...], TrustMaterial] = {}


def raw_index(folder: Path) -> dict[str, Any]:
    """The ``sources`` of an index.json (an empty dict when absent or malformed)."""
    try:
        raw = json.loads((folder / INDEX_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    sources = raw.get("sources") if isinstance(raw, dict) else None
    return sources if isinstance(sources, dict) else {}


def raw_intact(folder: Path, entry: Any) -> bool:
    """Every file of one index entry is present and matches its recorded SHA-256."""
    import hashlib

    try:
        for f in dict(entry["files"]).values():
            data = (folder / Path(str(f["path"])).name).read_bytes()
            if hashlib.sha256(data).hexdigest() != str(f["sha256"]):
                return False
    except (OSError, KeyError, TypeError, ValueError):
        return False
    return True


def chosen_sources(home: Path | None) -> list[tuple[str, Path, dict[str, Any], str]]:
    """(id, folder, index entry, origin) per list: the intact updated copy, else the shipped one."""
    shipped_folder = shipped_dir()
    shipped = raw_index(shipped_folder)
    folder = _checked_lists(home)
    updated = raw_index(folder) if folder is not None else {}
    out = []
    for sid in LIST_SOURCES:
        entry = updated.get(sid)
        if folder is not None and isinstance(entry, dict) and raw_intact(folder, entry):
            out.append((sid, folder, entry, "updated"))
        elif isinstance(shipped.get(sid), dict):
            out.append((sid, shipped_folder, shipped[sid], "shipped"))
    return out


def allowed_hash_list(pem: bytes) -> list[str]:
    """Base64 SHA-256 of each certificate of an allowed list (the form c2pa-rs matches)."""
    from provenance.identity.trust_chain import certificate_hash

    return [certificate_hash(der) for der in pem_blocks(pem)]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def trust_material(
    home: Path | None, enabled: Iterable[str] = DEFAULT_ENABLED, own_pem: str = ""
) -> TrustMaterial:
    """The anchors, allowed list and EKUs for the enabled list sources plus the user's own.

    Kept cheap, since every ``verify`` builds it: the index's recorded certificate hashes
    of the allowed list are used as they are (``trust update`` and the shipped index
    write them), so the allowed list itself is not read.
    """
    wanted = frozenset(enabled) & DEFAULT_ENABLED
    # The updated index's mtime is part of the key, so a long-running process (serve)
    # picks up a ``trust update`` made by another process.
    stamp = None
    if home is not None:
        try:
            stamp = (lists_dir(home) / INDEX_NAME).stat().st_mtime_ns
        except OSError:
            stamp = None
    key = (str(home) if home else None, stamp, wanted, own_pem)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    system: list[bytes] = []
    user: list[bytes] = []
    allowed: set[str] = set()
    ekus = list(BASE_EKUS)
    dates: dict[str, str] = {}
    names: dict[str, str] = {}
    for sid, folder, entry, _origin in chosen_sources(home) if wanted else ():
        if sid not in wanted:
            continue
        dates[sid] = str(entry.get("date", ""))
        names[sid] = str(entry.get("name", sid))
        files = entry.get("files")
        for role, f in (files if isinstance(files, dict) else {}).items():
            if not isinstance(f, dict):
                continue
            path = folder / Path(str(f.get("path", ""))).name
            if role == "anchors":
                (user if sid == "itl" else system).append(_read(path))
            elif role == "allowed":
                hashes = f.get("hashes")
                if isinstance(hashes, list) and all(isinstance(h, str) for h in hashes):
                    allowed.update(hashes)
                else:
                    allowed.update(allowed_hash_list(_read(path)))
            elif role == "ekus":
                ekus.extend(eku_oids(_read(path).decode("utf-8", "replace")))
    if own_pem:
        user.append(own_pem.encode("ascii", "replace"))
    material = TrustMaterial(
        system_pem=b"\n".join(system).decode("ascii", "replace"),
        user_pem=b"\n".join(user).decode("ascii", "replace"),
        own_pem=own_pem,
        trust_config="\n".join(dict.fromkeys(ekus)) + "\n",
        allowed_hashes=frozenset(allowed),
        enabled=wanted,
        dates=dates,
        names=names,
    )
    if len(_cache) > 8:
        _cache.clear()
    _cache[key] = material
    return material
