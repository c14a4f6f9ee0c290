"""Coverage-guided fuzzing (atheris / libFuzzer) of what reads strangers' bytes.

    python fuzz/atheris_fuzz.py verify  [libFuzzer options] [CORPUS_DIR ...]
    python fuzz/atheris_fuzz.py parsers [libFuzzer options] [CORPUS_DIR ...]

Targets:

* ``verify``: the bytes as an image file (JPEG, PNG or WebP, picked by the first
  byte) → :func:`provenance.verify.verify_file` → every renderer (text, JSON,
  HTML).  The seeds are small files signed here, so mutations start inside real
  C2PA manifests.
* ``parsers``: the bytes as a recipe (TOML and JSON) → ``load_recipe`` and as a
  publisher policy → ``load_policy``.  Seeds: the examples in docs/.

Only the project's own errors (:class:`provenance.errors.ProvenanceError`) may
escape; any other exception is a finding, and libFuzzer saves its input as
``crash-<sha1>`` (``-artifact_prefix=DIR/`` chooses where).  A native crash in
c2pa-rs is caught by libFuzzer's signal handlers and saved the same way.
Coverage is of the Python code of ``provenance`` (instrumented on import);
c2pa-rs is not instrumented, so its branches do not guide the search.

Examples: ``nice -n 19 python fuzz/atheris_fuzz.py verify -max_total_time=3600 -rss_limit_mb=1024
-artifact_prefix=fuzz/out/ fuzz/out/corpus-verify``; a long run that goes on past findings,
with workers on one corpus: ``fuzz/run_atheris_long.py`` (docs/security.md);
CI runs a bounded one (tests/fuzz/test_atheris.py).  Copy a crash file to
tests/regressions/ (with an image suffix) and it becomes a regression test.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import atheris  # noqa: E402

with atheris.instrument_imports(include=["provenance"]):
    from provenance.errors import ProvenanceError
    from provenance.report import renderer_for
    from provenance.sign.recipe import recipe_from_text
    from provenance.verify import VerifyOptions, verify_bytes
    from provenance.volume.policy import policy_from_text

#: The folder recipe paths start from (made once; parsing opens no file in it).
WORK = Path(tempfile.mkdtemp(prefix="pv-fuzz-"))
OPTIONS = VerifyOptions(use_trust_store=False, want_thumbnails=True)
SUFFIXES = (".jpg", ".png", ".webp")
#: Signed into the edited seed: escape sequences (7- and 8-bit CSI, OSC), bidi and
#: zero-width characters, markup, so mutations start from text the renderers must clean.
HOSTILE_TEXT = "sky\x1b[31m red\x9b2J\x1b]0;title\x07\u202egpj.exe\u200b[bold]<b>x</b>"
RENDERERS = [renderer_for(fmt) for fmt in ("text", "json", "html")]


def _suffix(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return ".png"
    if data.startswith(b"RIFF"):
        return ".webp"
    return ".jpg"


def verify_one(data: bytes) -> None:
    """The verify target: never anything but our own errors, never a raw escape in output.

    Verified from memory (:func:`provenance.verify.verify_bytes`: the same sniffing,
    limits, c2pa read, report and re-measurement as a file on disk, without a
    temporary file per case), then rendered by all three renderers.
    """
    try:
        report = verify_bytes(data, f"case{_suffix(data)}", OPTIONS)
    except ProvenanceError:
        return
    for renderer in RENDERERS:
        text = renderer.render([report])
        if "\x1b" in text or "\x9b" in text:
            raise AssertionError("a control sequence reached the rendered report")


def parse_one(data: bytes) -> None:
    """The parsers target: one input read as a TOML and a JSON recipe, and as a policy.

    From memory, through the same functions the file loaders call after reading
    (``recipe_from_text``, ``policy_from_text``); bytes that are not UTF-8 are what
    the loaders refuse with an InputError/PolicyError before parsing.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    for name in ("recipe.toml", "recipe.json"):
        try:
            recipe_from_text(text, WORK / name, out_dir=WORK / "out")
        except ProvenanceError:
            pass
    try:
        policy_from_text(text, where="policy.toml")
    except ProvenanceError:
        pass


def seed_verify(folder: Path) -> None:
    """Small signed JPEG, PNG and WebP files (and one with history) as the starting corpus."""
    from fixtures.generate import write_photo
    from provenance.identity.keys import ephemeral_identity
    from provenance.sign import EditKind, EditSpec, SignRequest, sign_image

    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        return
    identity, _ = ephemeral_identity("Fuzz", "Fuzz Studio")
    raw = WORK / "raw"
    raw.mkdir(exist_ok=True)
    for fmt, suffix in zip(("jpeg", "png", "webp"), SUFFIXES, strict=True):
        # Tiny (64 x 64): decoding, thumbnails and re-measurement cost little, so
        # the executions go to the parsing and the logic around it.
        source = write_photo(raw, fmt, width=64, height=64)
        target = folder / f"seed{suffix}"
        sign_image(SignRequest(source=source, output=target), identity)
        if suffix == ".jpg":
            edited = folder / "seed-edited.jpg"
            sign_image(
                SignRequest(
                    source=source,
                    output=edited,
                    parent=target,
                    edits=(EditSpec(EditKind.AI_EDIT, HOSTILE_TEXT, tool="Gen/1 " + HOSTILE_TEXT),),
                ),
                identity,
            )


def seed_parsers(folder: Path) -> None:
    """The documented recipe and policy examples as the starting corpus."""
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        return
    example = ROOT / "docs" / "policy.example.toml"
    if example.exists():
        (folder / "policy.toml").write_bytes(example.read_bytes())
    (folder / "recipe.toml").write_text(
        '[defaults]\nai_training = "notAllowed"\n\n[[files]]\nsource = "a.jpg"\n'
        'output = "a.jpg"\n[[files.edits]]\nkind = "ai_edit"\ndescription = "sky"\n'
        'tool = "Gen/1"\nmask = "m.png"\n\n[[files]]\nsource = "b.jpg"\nfrom = "a.jpg"\n'
    )
    (folder / "recipe.json").write_text(
        '{"files": [{"source": "a.jpg", "generated": true, "tool": "Model",'
        ' "edits": [{"kind": "edit", "description": "grade"}]}]}'
    )
    (folder / "policy-min.toml").write_text(
        'require = "trusted"\nallow_generated = false\nmax_ai_area = 0.3\n'
    )


def main(argv: list[str]) -> int:
    """Pick the target, seed its corpus folders, and hand over to libFuzzer."""
    if len(argv) < 2 or argv[1] not in ("verify", "parsers"):
        print(__doc__)
        return 2
    target = argv[1]
    rest = [argv[0], *argv[2:]]
    corpora = [Path(a) for a in rest[1:] if not a.startswith("-")]
    for corpus in corpora:
        (seed_verify if target == "verify" else seed_parsers)(corpus)
    atheris.Setup(rest, verify_one if target == "verify" else parse_one)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
