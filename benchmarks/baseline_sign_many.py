"""Baseline for a whole job: sign every JPEG in a folder with plain c2pa-python, one process.

The fair comparison for ``provenance sign --out-dir``: one Signer, default
Builder settings (c2pa's own thumbnail), one file after another.

    python benchmarks/baseline_sign_many.py SOURCE_DIR DEST_DIR CHAIN.pem KEY.pem
"""

from __future__ import annotations

import sys
from pathlib import Path

import c2pa
from baseline_sign import definition_for  # type: ignore[import-not-found]


def main(argv: list[str]) -> int:
    source_dir, dest_dir, chain_path, key_path = (Path(a) for a in argv[1:5])
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(b"es256", chain_path.read_bytes(), key_path.read_bytes(), None)
    )
    for source in sorted(source_dir.glob("*.jpg")):
        dest = dest_dir / source.name
        with (
            c2pa.Builder(definition_for(dest.name)) as builder,
            open(source, "rb") as src,
            open(dest, "w+b") as dst,
        ):
            builder.sign(signer, "image/jpeg", src, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
