"""The trust-list sources as values, for ``trust list`` and ``trust update``.

Verification itself reads the indexes directly (:func:`provenance.identity.trust_lists.trust_material`,
kept cheap); this module describes each source for people and for the updater.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from provenance.identity.trust_lists import chosen_sources


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


def load_sources(home: Path | None) -> tuple[TrustListSource, ...]:
    """Every list source: the updated copy where it is intact, else the shipped snapshot."""
    out = []
    for sid, folder, item, origin in chosen_sources(home):
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
            out.append(
                TrustListSource(
                    id=sid,
                    name=str(item["name"]),
                    legacy=bool(item.get("legacy", False)),
                    date=str(item["date"]),
                    commit=str(item["commit"]) if item.get("commit") else None,
                    repository=str(item["repository"]) if item.get("repository") else None,
                    issued=str(item["issued"]) if item.get("issued") else None,
                    files=files,
                    origin=origin,
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out)
