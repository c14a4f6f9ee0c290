"""Floor: the least a signer can do that still makes its own thumbnail and checks its output.

Not a product, a yardstick for the issue's "sign <= 0.5x plain c2pa-python" target.
It does only what any thumbnail-making signer through c2pa-python's public API
must do, with none of provenance's other work (no CLI, no capture metadata, no
policy, no temp-file dance):

- read the JPEG, start decoding it at 1/8 scale in a thread (Pillow's draft
  mode, the whole buffer in one GIL-free call);
- meanwhile load the key (``--p12``: unlock the PKCS#12 file the way
  ``provenance sign`` does, 600,000 PBKDF2 rounds; ``--pem``: the baseline's
  unencrypted key), import c2pa, build the signer;
- encode a 1024 px thumbnail, sign with c2pa's own thumbnail off, fsync, and
  read the output back once to check that it verifies;
- tune malloc and skip interpreter teardown, as ``provenance sign`` does.

    python benchmarks/floor_sign.py SOURCE.jpg DEST.jpg CHAIN.pem (--pem KEY.pem | --p12 KEY.p12)

The passphrase for ``--p12`` comes from ``PROVENANCE_KEY_PASSPHRASE``.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from typing import Any

THUMBNAIL_SIDE = 1024
DECODE_MIN_SIDE = 640


def _decode(img: Any, out: dict[str, Any]) -> None:
    img.load()
    out["image"] = img


def _private_key_pem(kind: str, path: str) -> bytes:
    with open(path, "rb") as f:
        blob = f.read()
    if kind == "--pem":
        return blob
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    passphrase = os.environ["PROVENANCE_KEY_PASSPHRASE"].encode()
    key, _, _ = pkcs12.load_key_and_certificates(blob, passphrase)
    assert key is not None
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def main(argv: list[str]) -> int:
    source, dest, chain_path, key_kind, key_path = argv[1:6]
    # The same malloc tuning provenance sign uses (it saves ~25 ms here too).
    from provenance.sign.allocator import reuse_freed_memory

    reuse_freed_memory()
    with open(source, "rb") as f:
        data = f.read()
    from PIL import Image

    img = Image.open(io.BytesIO(data))
    width, height = img.size
    scale = DECODE_MIN_SIDE / max(width, height)
    img.draft("RGB", (int(width * scale) + 1, int(height * scale) + 1))
    img.decodermaxblock = len(data)
    decoded: dict[str, Any] = {}
    worker = threading.Thread(target=_decode, args=(img, decoded))
    worker.start()

    key_pem = _private_key_pem(key_kind, key_path)
    import c2pa
    from baseline_sign import definition_for  # imports c2pa too: only after the decode started

    with open(chain_path, "rb") as f:
        chain = f.read()
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", chain, key_pem, None))
    context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    worker.join()
    thumb = decoded["image"]
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    encoded = io.BytesIO()
    thumb.save(encoded, "JPEG", quality=80)
    # The baseline's manifest, plus the thumbnail we made.
    definition = definition_for(os.path.basename(dest))
    definition["thumbnail"] = {"format": "image/jpeg", "identifier": "thumbnail.jpg"}
    with c2pa.Builder(definition, context=context) as builder, open(dest, "w+b") as out:
        builder.add_resource("thumbnail.jpg", io.BytesIO(encoded.getvalue()))
        builder.sign(signer, "image/jpeg", io.BytesIO(data), out)
        out.flush()
        os.fsync(out.fileno())
        out.seek(0)
        with c2pa.Reader("image/jpeg", out, context=context) as reader:
            state = reader.get_validation_state()
    return 0 if state in ("Valid", "Trusted") else 3


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    os._exit(code)  # no interpreter teardown: a floor pays for nothing it need not
