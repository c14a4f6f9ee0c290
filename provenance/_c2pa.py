"""The only module that imports c2pa.

It builds c2pa Contexts (offline by default: ``verify.remote_manifest_fetch`` is
false, OCSP fetching stays off), Signers, Builders and Readers, and turns every
``C2paError`` into the project's own errors or results.  Raw c2pa JSON is parsed
here, through :mod:`provenance.store`, into values; nothing c2pa-shaped leaves.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import c2pa

from provenance.errors import InputError, OperationError, TimestampError
from provenance.labels import CREATED_ASSERTION_LABELS, SIDECAR_SUFFIX
from provenance.memory_cap import data_ceiling, input_size
from provenance.sanitize import clean_text
from provenance.store import StoreData, parse_store

if TYPE_CHECKING:
    # Only signing needs keys; verification does not load that module (start-up time).
    from provenance.identity.keys import SigningIdentity

#: Thumbnails pulled out of a manifest store are bounded before they are even decoded.
MAX_RESOURCE_BYTES = 8 * 1024 * 1024
MAX_RESOURCES = 32

#: Keyed by :class:`provenance.identity.keys.SigningAlgorithm` values (a ``StrEnum``, so members match).
_ALGORITHMS: dict[str, c2pa.C2paSigningAlg] = {
    "es256": c2pa.C2paSigningAlg.ES256,
    "es384": c2pa.C2paSigningAlg.ES384,
    "es512": c2pa.C2paSigningAlg.ES512,
    "ps256": c2pa.C2paSigningAlg.PS256,
    "ps384": c2pa.C2paSigningAlg.PS384,
    "ps512": c2pa.C2paSigningAlg.PS512,
    "ed25519": c2pa.C2paSigningAlg.ED25519,
}


def library_version() -> str:
    """c2pa-python and c2pa-rs versions, for --version and reports."""
    return f"c2pa-python {c2pa.__version__}, {c2pa.sdk_version()}"


# --------------------------------------------------------------------- contexts


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to read: which anchors, whether the network may be used."""

    anchors_pem: str | None = None
    allow_remote: bool = False
    want_thumbnails: bool = True
    trust_config: str | None = None
    #: Anchors c2pa reports as "user_anchors" (the Interim Trust List's and the user's own),
    #: beside ``anchors_pem`` ("system_anchors": the C2PA and TSA lists).
    user_anchors_pem: str | None = None
    #: Keep the manifest store's own bytes (for the signer chain: provenance.identity.trust_chain).
    want_store_bytes: bool = False
    #: Let c2pa fetch OCSP responses itself (``--check-revocation``).
    ocsp_fetch: bool = False


_context_cache: dict[tuple[Any, ...], c2pa.Context] = {}
_cache_lock = threading.Lock()


def _settings(options: ReadOptions | None, *, signing: bool = False) -> dict[str, Any]:
    opts = options or ReadOptions()
    settings: dict[str, Any] = {
        "verify": {
            "remote_manifest_fetch": bool(opts.allow_remote),
            "ocsp_fetch": bool(opts.ocsp_fetch),
        }
    }
    if opts.anchors_pem or opts.user_anchors_pem:
        settings["trust"] = {}
        if opts.anchors_pem:
            settings["trust"]["trust_anchors"] = opts.anchors_pem
        if opts.user_anchors_pem:
            settings["trust"]["user_anchors"] = opts.user_anchors_pem
        if opts.trust_config:
            settings["trust"]["trust_config"] = opts.trust_config
    if signing:
        settings["builder"] = {
            # We supply our own thumbnail from the one decode we already do.
            "thumbnail": {"enabled": False},
            "created_assertion_labels": list(CREATED_ASSERTION_LABELS),
        }
    return settings


def _context(options: ReadOptions | None, *, signing: bool = False) -> c2pa.Context:
    opts = options or ReadOptions()
    key = (
        opts.anchors_pem,
        opts.user_anchors_pem,
        opts.allow_remote,
        opts.trust_config,
        opts.ocsp_fetch,
        signing,
    )
    with _cache_lock:
        ctx = _context_cache.get(key)
        if ctx is None:
            try:
                ctx = c2pa.Context.from_dict(_settings(opts, signing=signing))
            except c2pa.C2paError as exc:
                raise InputError(
                    "The trust anchors could not be loaded.",
                    hint="Check that every --trust file is a PEM certificate.",
                ) from exc
            if len(_context_cache) > 16:
                _context_cache.clear()
            _context_cache[key] = ctx
        return ctx


# --------------------------------------------------------------------- reading


class ReadOutcome(StrEnum):
    """What a read found, before any verdict is decided."""

    FOUND = "found"
    NOT_FOUND = "not_found"
    REMOTE_ONLY = "remote_only"
    MALFORMED = "malformed"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True, slots=True)
class ReadResult:
    """The manifest store of a file (when found) or why there is none."""

    outcome: ReadOutcome
    store: StoreData | None = None
    message: str | None = None
    remote_url: str | None = None
    thumbnails: Mapping[str, bytes] = field(default_factory=dict)
    #: The manifest store's JUMBF bytes, when asked for and the store validated.
    store_bytes: bytes | None = None


_URL_RE = re.compile(r"https?://[^\s'\"<>]{1,500}")


def _classify_read_error(exc: c2pa.C2paError) -> ReadResult:
    text = str(exc)
    if isinstance(exc, c2pa.C2paError.ManifestNotFound):
        return ReadResult(ReadOutcome.NOT_FOUND)
    if text.startswith("Remote") or isinstance(exc, c2pa.C2paError.RemoteManifest):
        match = _URL_RE.search(text)
        # The URL is the file's choice: keep only printable, inert text.
        url = clean_text(match.group(0), max_length=500) if match else None
        return ReadResult(
            ReadOutcome.REMOTE_ONLY,
            message="The Content Credentials of this file are stored at a remote address.",
            remote_url=url or None,
        )
    if isinstance(exc, c2pa.C2paError.NotSupported):
        return ReadResult(
            ReadOutcome.UNSUPPORTED, message="This file type cannot carry Content Credentials."
        )
    # Decoding/Verify/Other/Json/...: credentials are present but malformed.
    reason = text.split(":", 1)[-1].strip()[:200] if ":" in text else text[:200]
    return ReadResult(ReadOutcome.MALFORMED, message=reason or "malformed credentials")


def _collect_thumbnails(reader: c2pa.Reader, store: StoreData) -> dict[str, bytes]:
    wanted: list[str] = []
    for manifest in store.manifests.values():
        if manifest.thumbnail_id:
            wanted.append(manifest.thumbnail_id)
        wanted.extend(i.thumbnail_id for i in manifest.ingredients if i.thumbnail_id)
    out: dict[str, bytes] = {}
    for uri in dict.fromkeys(wanted):
        if len(out) >= MAX_RESOURCES:
            break
        buffer = _BoundedBuffer(MAX_RESOURCE_BYTES)
        try:
            reader.resource_to_stream(uri, buffer)
        except (c2pa.C2paError, _TooLarge, OSError, ValueError):
            continue
        out[uri] = buffer.getvalue()
    return out


class _TooLarge(Exception):
    pass


class _BoundedBuffer(io.BytesIO):
    """A write buffer that refuses to grow past a limit (thumbnails are attacker data)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self._limit = limit

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > self._limit:
            raise _TooLarge
        return super().write(data)


def read_credentials(
    stream: IO[bytes],
    mime: str,
    options: ReadOptions | None = None,
    *,
    sidecar: bytes | None = None,
) -> ReadResult:
    """Read and validate the manifest store of one asset, in one Reader pass.

    Never raises for bad credentials: absence, remote-only, malformed and
    unsupported are outcomes.  Raises :class:`InputError` only when our own
    settings (trust anchors) are unusable.  Runs under :mod:`provenance.memory_cap`.
    """
    ctx = _context(options)
    with data_ceiling(input_size(stream, sidecar)):  # hostile lengths: provenance.memory_cap
        try:
            reader = c2pa.Reader(mime, stream, sidecar, context=ctx)
        except c2pa.C2paError as exc:
            return _classify_read_error(exc)
        try:
            with reader:
                raw = json.loads(reader.json())
                state = reader.get_validation_state()
                store = parse_store(raw, state=state)
                thumbs = (
                    _collect_thumbnails(reader, store)
                    if options is None or options.want_thumbnails
                    else {}
                )
                store_bytes = (
                    _store_bytes(reader, store.active_label)
                    if options is not None
                    and options.want_store_bytes
                    and state in ("Valid", "Trusted")
                    else None
                )
        except c2pa.C2paError as exc:
            return _classify_read_error(exc)
        except (ValueError, TypeError, RecursionError, MemoryError) as exc:
            message = f"unreadable manifest data ({type(exc).__name__})"
            return ReadResult(ReadOutcome.MALFORMED, message=message)
    return ReadResult(ReadOutcome.FOUND, store=store, thumbnails=thumbs, store_bytes=store_bytes)


def _store_bytes(reader: c2pa.Reader, label: str | None) -> bytes | None:
    """The manifest store's JUMBF bytes (bounded), for the signer chain.

    c2pa-python has no call for the signing certificate; asked for a JUMBF URI inside
    a manifest, ``resource_to_stream`` hands back the whole manifest store (measured on
    0.38.1), which :mod:`provenance.identity.trust_chain` walks.  Anything unexpected
    gives None, and the caller then trusts nothing it could not check.
    """
    if not label:
        return None
    buffer = _BoundedBuffer(MAX_RESOURCE_BYTES)
    try:
        reader.resource_to_stream(f"self#jumbf=/c2pa/{label}/c2pa.signature", buffer)
    except (c2pa.C2paError, _TooLarge, OSError, ValueError):
        return None
    data = buffer.getvalue()
    return data if data[4:8] == b"jumb" else None


# --------------------------------------------------------------------- signing


@dataclass(frozen=True, slots=True)
class IngredientSource:
    """An ingredient to embed: its JSON description and its bytes (with their manifest)."""

    title: str
    relationship: str
    mime: str
    data: bytes
    thumbnail: bytes | None = None
    #: The ingredient's detached credentials (a ``.c2pa`` sidecar, e.g. of a camera RAW).
    manifest_store: bytes | None = None
    #: The format recorded for the ingredient when ``mime`` is only how c2pa reads it.
    format: str | None = None
    #: A label actions use to link it (``ingredientIds``); c2pa-rs replaces it on signing.
    label: str | None = None


class _SignerCallbackFailure:
    """Holds the real exception from our sign callback; c2pa only sees "-1"."""

    def __init__(self) -> None:
        self.error: BaseException | None = None


# Keyed by the identity value itself (frozen, hashable): a recycled id() can never alias.
_signer_cache: dict[
    tuple[SigningIdentity, str | None], tuple[c2pa.Signer, _SignerCallbackFailure]
] = {}


def _signer(
    identity: SigningIdentity, tsa_url: str | None
) -> tuple[c2pa.Signer, _SignerCallbackFailure]:
    key = (identity, tsa_url)
    cached = _signer_cache.get(key)
    if cached is not None:
        return cached
    failure = _SignerCallbackFailure()

    def callback(data: bytes) -> bytes:
        try:
            return identity.sign(data)
        except BaseException as exc:
            failure.error = exc
            raise

    try:
        signer = c2pa.Signer.from_callback(
            callback, _ALGORITHMS[identity.algorithm], identity.chain_pem.decode("ascii"), tsa_url
        )
    except c2pa.C2paError as exc:
        raise OperationError(
            "The signing certificate chain was refused.",
            hint="Check it with: provenance keys check",
        ) from exc
    if len(_signer_cache) > 8:
        _signer_cache.clear()
    _signer_cache[key] = (signer, failure)
    return signer, failure


def _translate_sign_error(
    exc: c2pa.C2paError, failure: _SignerCallbackFailure, tsa_url: str | None
) -> Exception:
    if failure.error is not None:
        cause = failure.error
        failure.error = None
        return OperationError(
            f"The signing key failed: {cause}",
            hint="The key or the device holding it refused to sign.",
        )
    text = str(exc)
    lowered = text.lower()
    if tsa_url and (
        ("time" in lowered and "stamp" in lowered) or "tsa" in lowered or "http" in lowered
    ):
        return TimestampError(
            f"The time-stamp authority at {tsa_url} did not give a usable answer.",
            hint="Check the URL and your connection, or sign without --tsa.",
        )
    if "certificate" in lowered or "signingcredential" in lowered:
        return OperationError(
            "The signing certificate was refused by the C2PA library.",
            hint="Check it with: provenance keys check",
            diagnostics=(text[:300],),
        )
    return OperationError("Signing failed.", diagnostics=(text[:300],))


def _new_builder(
    definition: Mapping[str, Any],
    ingredients: Sequence[IngredientSource],
    identity: SigningIdentity,
    tsa_url: str | None,
) -> tuple[c2pa.Builder, c2pa.Signer, _SignerCallbackFailure]:
    """A Builder for ``definition`` (ingredients detached) and the cached signer for it."""
    signer, failure = _signer(identity, tsa_url)
    ctx = _context(None, signing=True)
    try:
        builder = c2pa.Builder(_with_detached_ingredients(definition, ingredients), context=ctx)
    except c2pa.C2paError as exc:
        raise OperationError("The manifest could not be built.", diagnostics=(str(exc)[:300],)) from exc
    return builder, signer, failure


def sign_asset(
    definition: Mapping[str, Any],
    mime: str,
    source: IO[bytes],
    dest: IO[bytes] | None,
    identity: SigningIdentity,
    *,
    tsa_url: str | None = None,
    ingredients: Sequence[IngredientSource] = (),
    resources: Mapping[str, bytes] | None = None,
    edit: bool = False,
    embed: bool = True,
) -> bytes:
    """Sign ``source`` into ``dest`` with one manifest; the manifest store's bytes.

    With ``edit`` the first ingredient must be the parent (``parentOf``): c2pa
    then records a ``c2pa.opened`` action for it, which keeps the history chain
    (C2PA 2.x, 18.15.3 "Mandatory presence of at least one action").

    With ``embed=False`` nothing is put into the asset (``dest`` may be None): the
    returned bytes are a detached manifest store whose hard binding covers the
    whole of ``source`` as it is — a ``.c2pa`` sidecar (C2PA 2.2, "External
    manifests"); see :func:`provenance.sign.orchestrator.write_sidecar`.
    """
    builder, signer, failure = _new_builder(definition, ingredients, identity, tsa_url)
    try:
        with builder:
            _fill_builder(builder, ingredients, resources, edit)
            if not embed:
                builder.set_no_embed()
            if dest is None:
                manifest = builder.sign(signer, mime, source)
            else:
                manifest = builder.sign(signer, mime, source, dest)
    except c2pa.C2paError as exc:
        raise _translate_sign_error(exc, failure, tsa_url) from exc
    return bytes(manifest)


def _fill_builder(
    builder: c2pa.Builder,
    ingredients: Sequence[IngredientSource],
    resources: Mapping[str, bytes] | None,
    edit: bool,
) -> None:
    """Intent, resources (our thumbnail) and ingredients of one signing."""
    if edit:
        builder.set_intent(c2pa.C2paBuilderIntent.EDIT)
    for uri, data in (resources or {}).items():
        builder.add_resource(uri, io.BytesIO(data))
    for index, ingredient in enumerate(ingredients):
        description: dict[str, Any] = {
            "title": ingredient.title,
            "relationship": ingredient.relationship,
        }
        if ingredient.label:
            description["label"] = ingredient.label
        if ingredient.thumbnail is not None:
            # Builder thumbnails are off, so without this an unsigned parent would
            # carry no picture and verify could not re-measure the edit against it.
            thumb_id = f"ingredient-{index}-thumbnail.jpg"
            description["thumbnail"] = {"format": "image/jpeg", "identifier": thumb_id}
            builder.add_resource(thumb_id, io.BytesIO(ingredient.thumbnail))
        if ingredient.format is not None:
            # c2pa reads the bytes as ``mime``; the ingredient is recorded as what it is.
            description["format"] = ingredient.format
        if ingredient.manifest_store is not None:
            # Described in the definition (_with_detached_ingredients).
            store_id = _detached_store_id(index)
            builder.add_resource(store_id, io.BytesIO(ingredient.manifest_store))
            continue
        builder.add_ingredient(description, ingredient.mime, io.BytesIO(ingredient.data))


# ------------------------------------------------------- streaming (data-hash) signing

#: Copy block of the streaming signer: memory stays O(block) whatever the file size.
_STREAM_BLOCK = 1 << 20
_data_hash_ready: bool | None = None


def _data_hash_api() -> bool:
    """Declare the two c2pa-rs C calls of data-hashed signing (present, unwrapped, in 0.38).

    c2pa-python 0.38 ships ``c2pa_builder_data_hashed_placeholder`` and
    ``c2pa_builder_sign_data_hashed_embeddable`` in its native library without a
    Python wrapper.  Their prototypes are those of the c2pa-rs C API; when the
    library, its handles or its guards are not what this expects, streaming
    signing is simply not offered and ``Builder.sign`` is used.
    """
    global _data_hash_ready
    if _data_hash_ready is not None:
        return _data_hash_ready
    import ctypes

    try:
        native = c2pa.c2pa
        lib = native._lib
        out = ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte))
        placeholder = lib.c2pa_builder_data_hashed_placeholder
        builder_p = ctypes.POINTER(native.C2paBuilder)
        placeholder.argtypes = [builder_p, ctypes.c_size_t, ctypes.c_char_p, out]
        placeholder.restype = ctypes.c_int64
        embeddable = lib.c2pa_builder_sign_data_hashed_embeddable
        signer_p, stream_p = ctypes.POINTER(native.C2paSigner), ctypes.POINTER(native.C2paStream)
        embeddable.argtypes = [builder_p, signer_p, ctypes.c_char_p, ctypes.c_char_p, stream_p, out]
        embeddable.restype = ctypes.c_int64
        ok = all(
            hasattr(cls, name)
            for cls, name in (
                (c2pa.Builder, "_exclusive_native_call"),
                (c2pa.Signer, "_native_call"),
                (c2pa.Signer, "reserve_size"),
            )
        ) and callable(getattr(native, "_check_ffi_operation_result", None))
    except (AttributeError, OSError):
        ok = False
    _data_hash_ready = ok
    return ok


def can_stream_sign(mime: str) -> bool:
    """Whether :func:`sign_stream` can sign ``mime`` (JPEG, PNG; data-hash calls present)."""
    return mime in ("image/jpeg", "image/png") and _data_hash_api()


def _native_bytes(call: Any, what: str) -> bytes:
    """Run a c2pa C call that returns (length, owned bytes); the bytes, freed natively."""
    import ctypes

    native = c2pa.c2pa
    pointer = ctypes.POINTER(ctypes.c_ubyte)()
    length = call(ctypes.byref(pointer))
    try:
        native._check_ffi_operation_result(length, what, check=lambda r: r < 0)
        return ctypes.string_at(pointer, length)
    finally:
        if pointer:
            native._lib.c2pa_free(pointer)


def sign_stream(
    definition: Mapping[str, Any],
    mime: str,
    source: IO[bytes],
    dest: IO[bytes],
    identity: SigningIdentity,
    *,
    insert_at: int,
    tsa_url: str | None = None,
    ingredients: Sequence[IngredientSource] = (),
    resources: Mapping[str, bytes] | None = None,
    edit: bool = False,
) -> bytes:
    """Sign a JPEG or PNG streamed from ``source`` into ``dest``, holding neither in memory.

    ``Builder.sign`` keeps about three copies of the asset (c2pa-rs 0.91; measured
    3.2x the file size).  This uses the data-hash binding as meant for large
    assets (C2PA 2.x, 18.5 "Data hash"; c2pa-rs "data hashed embeddable"): c2pa
    composes a placeholder manifest of the final size (JPEG APP11 segments, a PNG
    caBX chunk); we copy ``source`` to ``dest`` with it inserted at ``insert_at``
    (:func:`provenance.media.manifest_offset`), SHA-256 hashing the source's own
    bytes in blocks (all but the placeholder's); c2pa signs a claim whose hard
    binding is that hash with the placeholder excluded, and the signed manifest,
    exactly the placeholder's size, is written over it.  The caller reads ``dest``
    back and verifies it.  Only for a source without C2PA data of its own (an
    earlier store would stay in the file).  Returns the manifest.
    """
    import hashlib

    if not _data_hash_api():
        raise OperationError("Streaming signing is not available in this c2pa build.")
    builder, signer, failure = _new_builder(definition, ingredients, identity, tsa_url)
    lib = c2pa.c2pa._lib
    try:
        with builder:
            _fill_builder(builder, ingredients, resources, edit)
            reserve = signer.reserve_size()
            with builder._exclusive_native_call():
                placeholder = _native_bytes(
                    lambda out: lib.c2pa_builder_data_hashed_placeholder(
                        builder._handle, reserve, mime.encode("ascii"), out
                    ),
                    "Could not make the manifest placeholder: {}",
                )
            digest = hashlib.sha256()
            source.seek(0)
            remaining = insert_at
            while remaining > 0:
                block = source.read(min(remaining, _STREAM_BLOCK))
                if not block:
                    raise OperationError("The image ended while it was being signed.")
                digest.update(block)
                dest.write(block)
                remaining -= len(block)
            dest.write(placeholder)
            while block := source.read(_STREAM_BLOCK):
                digest.update(block)
                dest.write(block)
            # DataHash as c2pa-rs reads it (its ``hash`` and ``pad`` are byte arrays).
            data_hash = {
                "exclusions": [{"start": insert_at, "length": len(placeholder)}],
                "name": "jumbf manifest",
                "alg": "sha256",
                "hash": list(digest.digest()),
                "pad": [],
            }
            request = json.dumps(data_hash).encode("ascii")
            with builder._exclusive_native_call(), signer._native_call():
                manifest = _native_bytes(
                    lambda out: lib.c2pa_builder_sign_data_hashed_embeddable(
                        builder._handle, signer._handle, request, mime.encode("ascii"), None, out
                    ),
                    "Error during signing: {}",
                )
    except c2pa.C2paError as exc:
        raise _translate_sign_error(exc, failure, tsa_url) from exc
    if len(manifest) != len(placeholder):
        raise OperationError(
            "The signed manifest does not fit its placeholder; nothing was written.",
            diagnostics=(f"{len(manifest)} != {len(placeholder)} bytes",),
        )
    dest.seek(insert_at)
    dest.write(manifest)
    dest.flush()
    return manifest


# --------------------------------------------------------------------- sidecars


def sidecar_path(image: Path) -> Path:
    """Where the detached manifest store of ``image`` goes: its whole name + ``.c2pa``.

    ``photo.jpg`` -> ``photo.jpg.c2pa``.  The extension stays in the name because a
    RAW and a JPEG of one shot (``IMG_1.CR3``, ``IMG_1.JPG``) share a folder and a
    stem; c2patool's shorter ``photo.c2pa`` is still found by :func:`find_sidecar`.
    """
    return image.with_name(image.name + SIDECAR_SUFFIX)


def find_sidecar(image: Path) -> Path | None:
    """The sidecar beside ``image``, if any: ``photo.jpg.c2pa``, else ``photo.c2pa``."""
    if image.suffix.lower() == SIDECAR_SUFFIX:
        return None
    candidates = [sidecar_path(image)]
    if image.suffix:
        candidates.append(image.with_suffix(SIDECAR_SUFFIX))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


# --------------------------------------------------------------------- detached ingredients


def _detached_store_id(index: int) -> str:
    return f"ingredient-{index}-manifest.c2pa"


def _with_detached_ingredients(
    definition: Mapping[str, Any], ingredients: Sequence[IngredientSource]
) -> dict[str, Any]:
    """``definition`` plus the ingredients whose credentials are a sidecar.

    c2pa's ``add_ingredient`` only finds credentials inside the ingredient's own
    bytes; a camera RAW keeps them in ``RAW.c2pa``.  Such an ingredient is written
    with its manifest store as ``manifest_data`` (C2PA 2.x, 8.3 "Ingredient"), its
    active manifest, and the validation results c2pa gives for the RAW's bytes
    against that store, so the history keeps the capture's own signed record and
    the proof that the RAW matched it when this edit was signed.
    """
    detached = [(i, ing) for i, ing in enumerate(ingredients) if ing.manifest_store is not None]
    result = dict(definition)
    if not detached:
        return result
    entries = list(result.get("ingredients", []))
    for index, ingredient in detached:
        assert ingredient.manifest_store is not None
        try:
            reader = c2pa.Reader(
                ingredient.mime,
                io.BytesIO(ingredient.data),
                ingredient.manifest_store,
                context=_context(None),
            )
            with reader:
                active = json.loads(reader.json()).get("active_manifest")
                results = reader.get_validation_results()
        except (c2pa.C2paError, ValueError) as exc:
            raise InputError(
                f"The credentials of {ingredient.title} cannot be read.",
                hint="Check that its .c2pa sidecar is complete and belongs to it.",
            ) from exc
        entry: dict[str, Any] = {
            "title": ingredient.title,
            "format": ingredient.format or ingredient.mime,
            "relationship": ingredient.relationship,
            "active_manifest": active,
            "validation_results": results,
            "manifest_data": {
                "format": "application/c2pa",
                "identifier": _detached_store_id(index),
            },
        }
        if ingredient.thumbnail is not None:
            entry["thumbnail"] = {
                "format": "image/jpeg",
                "identifier": f"ingredient-{index}-thumbnail.jpg",
            }
        entries.append(entry)
    result["ingredients"] = entries
    return result
