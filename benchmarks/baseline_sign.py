"""Baseline: sign one image with plain c2pa-python, default settings (thumbnail on).

This is what a developer writes from the c2pa-python README: a Signer from the
certificate chain and an unencrypted PEM key, a Builder with a small manifest
definition and default settings (c2pa makes its own thumbnail), and
``builder.sign`` from the source file to the destination file.

    python benchmarks/baseline_sign.py SOURCE DEST CHAIN.pem KEY.pem [ALG]
"""

from __future__ import annotations

import sys

import c2pa

MIME = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}


def definition_for(title: str) -> dict[str, object]:
    """A small manifest: who made it (claim generator) and a capture action."""
    return {
        "claim_generator_info": [{"name": "baseline", "version": "1.0"}],
        "title": title,
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
                        }
                    ]
                },
            }
        ],
    }


def main(argv: list[str]) -> int:
    source, dest, chain_path, key_path = argv[1:5]
    alg = argv[5] if len(argv) > 5 else "es256"
    mime = MIME[source[source.rfind(".") :].lower()]
    with open(chain_path, "rb") as f:
        chain = f.read()
    with open(key_path, "rb") as f:
        key = f.read()
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg.encode(), chain, key, None))
    definition = definition_for(dest.rsplit("/", 1)[-1])
    with c2pa.Builder(definition) as builder, open(source, "rb") as src, open(dest, "w+b") as dst:
        builder.sign(signer, mime, src, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
