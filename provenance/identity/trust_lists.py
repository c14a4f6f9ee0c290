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

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provenance.config import check_secure, store_folder

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


@dataclass(frozen=True, slots=True)
class ListFile:
    """One file of a trust list: its role, where it is, where it comes from."""

    role: str  # "anchors" | "allowed" | "ekus"
    path: Path
    url: str
    sha256: str
    count: int
    check_url: str | None = None


@dataclass(frozen=True, slots=True)
class TrustListSource:
    """A shipped (or updated) trust list as recorded in its index."""

    id: str
    name: str
    legacy: bool
    date: str
    commit: str | None
    repository: str | None
    issued: str | None
    files: tuple[ListFile, ...]
    #: "shipped" (inside the package) or "updated" (``trust update`` copy in the home folder).
    origin: str = "shipped"
    updated_at: str | None = None

    def file(self, role: str) -> ListFile | None:
        """The file with this role, if the list has one."""
        return next((f for f in self.files if f.role == role), None)

    @property
    def count(self) -> int:
        """Certificates in the list (anchors plus allowed end-entity certificates)."""
        return sum(f.count for f in self.files if f.role in ("anchors", "allowed"))


def shipped_dir() -> Path:
    """The snapshot inside the package."""
    return Path(__file__).resolve().parent / "trustlists"


def lists_dir(home: Path) -> Path:
    """Where ``trust update`` keeps its copy."""
    return home / "trust-lists"


def pem_blocks(data: bytes) -> list[bytes]:
    """The DER of every PEM certificate block in ``data`` (malformed base64 is skipped)."""
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


def _read_index(folder: Path, origin: str) -> dict[str, TrustListSource]:
    try:
        raw = json.loads((folder / INDEX_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, TrustListSource] = {}
    sources = raw.get("sources") if isinstance(raw, dict) else None
    if not isinstance(sources, dict):
        return {}
    for sid, item in sources.items():
        if sid not in LIST_SOURCES or not isinstance(item, dict):
            continue
        try:
            files = tuple(
                ListFile(
                    role=role,
                    path=folder / Path(str(f["path"])).name,
                    url=str(f["url"]),
                    sha256=str(f["sha256"]),
                    count=int(f.get("count", 0)),
                    check_url=str(f["check_url"]) if f.get("check_url") else None,
                )
                for role, f in dict(item["files"]).items()
            )
            out[sid] = TrustListSource(
                id=sid,
                name=str(item["name"]),
                legacy=bool(item.get("legacy", False)),
                date=str(item["date"]),
                commit=str(item["commit"]) if item.get("commit") else None,
                repository=str(item["repository"]) if item.get("repository") else None,
                issued=str(item["issued"]) if item.get("issued") else None,
                files=files,
                origin=origin,
                updated_at=str(raw.get("updated_at")) if raw.get("updated_at") else None,
            )
        except (KeyError, TypeError, ValueError):
            continue
    return out


def _intact(source: TrustListSource) -> bool:
    for f in source.files:
        try:
            if hashlib.sha256(f.path.read_bytes()).hexdigest() != f.sha256:
                return False
        except OSError:
            return False
    return True


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
    """Every list source: the updated copy where it is intact, else the shipped snapshot."""
    shipped = _read_index(shipped_dir(), "shipped")
    updated = _read_index(folder, "updated") if (folder := _checked_lists(home)) else {}
    out = []
    for sid in LIST_SOURCES:
        candidate = updated.get(sid)
        if candidate is not None and _intact(candidate):
            out.append(candidate)
        elif sid in shipped:
            out.append(shipped[sid])
    return tuple(out)


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


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def trust_material(
    home: Path | None, enabled: Iterable[str] = DEFAULT_ENABLED, own_pem: str = ""
) -> TrustMaterial:
    """The anchors, allowed list and EKUs for the enabled list sources plus the user's own."""
    wanted = frozenset(enabled) & DEFAULT_ENABLED
    key = (str(home) if home else None, wanted, hashlib.sha256(own_pem.encode()).hexdigest())
    cached = _cache.get(key)
    if cached is not None:
        return cached
    system: list[bytes] = []
    user: list[bytes] = []
    allowed: set[str] = set()
    ekus = list(BASE_EKUS)
    dates: dict[str, str] = {}
    names: dict[str, str] = {}
    for source in load_sources(home):
        if source.id not in wanted:
            continue
        dates[source.id] = source.date
        names[source.id] = source.name
        anchors = source.file("anchors")
        if anchors is not None:
            data = _read(anchors.path)
            (user if source.id == "itl" else system).append(data)
        allowed_file = source.file("allowed")
        if allowed_file is not None:
            allowed.update(
                base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")
                for der in pem_blocks(_read(allowed_file.path))
            )
        eku_file = source.file("ekus")
        if eku_file is not None:
            ekus.extend(eku_oids(_read(eku_file.path).decode("utf-8", "replace")))
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
