"""Print how the verifier's verdicts agree with ../shared/conformance/expectations.json.

Usage: python tools/conformance_report.py [CONFORMANCE_DIR] [--verbose]

For every file listed in expectations.json it runs :func:`provenance.verify.verify_file`
twice, offline: with no trust anchors, and with ``test_anchors.pem`` as the only
anchors.  It prints one line per disagreement and a summary table, and exits 1
when any verdict is outside the acceptable set.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "conformance"


@dataclass(frozen=True)
class Row:
    """One file's outcome in both trust settings."""

    name: str
    expected: tuple[str, ...]
    expected_anchored: tuple[str, ...]
    got: str
    got_anchored: str
    codes: tuple[str, ...]
    seconds: float

    @property
    def agrees(self) -> bool:
        return self.got in self.expected

    @property
    def agrees_anchored(self) -> bool:
        return self.got_anchored in self.expected_anchored


def run(folder: Path) -> list[Row]:
    """Verify every listed file both ways."""
    from provenance.verify import VerifyOptions, verify_file

    expectations = json.loads((folder / "expectations.json").read_text(encoding="utf-8"))
    # Offline and without the shipped trust lists, like tests/conformance: the
    # expectations say what each file is with no anchors, and with the test anchors only.
    plain = VerifyOptions(use_trust_store=False, want_thumbnails=False, trust_lists=frozenset())
    anchored = VerifyOptions(
        trust_files=(folder / "test_anchors.pem",),
        use_trust_store=False,
        want_thumbnails=False,
        trust_lists=frozenset(),
    )
    rows = []
    for name, expect in sorted(expectations.items()):
        path = folder / "files" / name
        start = time.monotonic()
        first = verify_file(path, plain)
        second = verify_file(path, anchored)
        rows.append(
            Row(
                name=name,
                expected=tuple(expect["verdict"]),
                expected_anchored=tuple(expect["verdict_with_test_anchors"]),
                got=first.verdict.value,
                got_anchored=second.verdict.value,
                codes=tuple(p.code for p in second.problems),
                seconds=time.monotonic() - start,
            )
        )
    return rows


def main(argv: list[str]) -> int:
    """Print the table; exit 1 on any disagreement."""
    args = [a for a in argv[1:] if not a.startswith("-")]
    verbose = "--verbose" in argv or "-v" in argv
    folder = Path(args[0]) if args else DEFAULT_DIR
    if not (folder / "expectations.json").is_file():
        print(f"no conformance folder at {folder}", file=sys.stderr)
        return 2
    rows = run(folder)
    for row in rows:
        if verbose or not (row.agrees and row.agrees_anchored):
            mark = "ok  " if row.agrees and row.agrees_anchored else "DIFF"
            print(
                f"{mark} {row.name}: {row.got} (want {'/'.join(row.expected)}), "
                f"anchored {row.got_anchored} (want {'/'.join(row.expected_anchored)}) "
                f"[{', '.join(row.codes)}] {row.seconds:.2f}s"
            )
    total = len(rows)
    plain = sum(r.agrees for r in rows)
    anchored = sum(r.agrees_anchored for r in rows)
    slowest = max(rows, key=lambda r: r.seconds)
    print(f"files: {total}")
    print(f"agreement without anchors: {plain}/{total}")
    print(f"agreement with test anchors: {anchored}/{total}")
    print(f"slowest: {slowest.name} {slowest.seconds:.2f}s (both reads)")
    return 0 if plain == total and anchored == total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
