"""Recipes: what ``provenance sign`` flags say, in a file, for scripted and batch signing.

A recipe (TOML or JSON; format in docs/recipe.md) has optional ``defaults`` that
apply to every file and a list of ``files``, each naming a source, its output,
its parent and its edits (with per-edit masks).  :func:`load_recipe` turns it
into :class:`~provenance.sign.request.SignRequest` values and nothing else: signing
them is the caller's business (one by one, or in parallel).

Paths in a recipe are relative to the recipe file, so a recipe travels with its
folder; outputs are relative to ``out_dir`` when the caller gives one.  Unknown
keys are errors that name the key: a misspelt ``keep_locaton`` silently ignored
is how a photographer ends up publishing where they live.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from provenance.errors import InputError
from provenance.models import TrainingPreference
from provenance.sign.request import ComponentSpec, EditKind, EditSpec, SignRequest

__all__ = ["MAX_RECIPE_BYTES", "load_recipe", "parse_recipe"]

#: A recipe is a text file a person writes; anything bigger is a mistake.
MAX_RECIPE_BYTES = 4 * 1024 * 1024

_TOP_KEYS = frozenset({"defaults", "files"})
#: Keys a file entry may carry; ``defaults`` takes the same minus the per-file ones.
_FILE_KEYS = frozenset(
    {
        "source",
        "output",
        "from",
        "parent",
        "edits",
        "generated",
        "tool",
        "keep_location",
        "redact_location",
        "ai_training",
        "all_actions_included",
        "legacy_exif",
        "sidecar",
        "components",
        "ai_inputs",
    }
)
_PER_FILE_ONLY = frozenset({"source", "output", "from", "parent", "components", "ai_inputs"})
_DEFAULT_KEYS = _FILE_KEYS - _PER_FILE_ONLY
_EDIT_KEYS = frozenset({"kind", "description", "tool", "mask"})
_COMPONENT_KEYS = frozenset({"file", "label", "mask"})


def load_recipe(
    path: Path,
    *,
    out_dir: Path | None = None,
    training: TrainingPreference | None = TrainingPreference.NOT_ALLOWED,
    allow_outside: bool = False,
) -> tuple[SignRequest, ...]:
    """Read a recipe file (``.toml`` or ``.json``) into sign requests.

    ``training`` is the preference used where the recipe sets none (the user's
    setting).  Raises :class:`InputError` naming the problem (and the key, for
    unknown or mistyped keys).
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"Cannot open the recipe {path}: {exc.strerror}.") from exc
    if size > MAX_RECIPE_BYTES:
        raise InputError(f"The recipe {path} is too large ({size:,} bytes).")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read the recipe {path} as UTF-8 text.") from exc
    return recipe_from_text(
        text,
        path,
        out_dir=out_dir,
        training=training,
        allow_outside=allow_outside,
    )


def recipe_from_text(
    text: str,
    path: Path,
    *,
    out_dir: Path | None = None,
    training: TrainingPreference | None = TrainingPreference.NOT_ALLOWED,
    allow_outside: bool = False,
) -> tuple[SignRequest, ...]:
    """The text of the recipe file ``path`` (not read again) → sign requests.

    :func:`load_recipe` after reading; also the fuzzing seam (fuzz/atheris_fuzz.py),
    so a million recipes need not each be written to disk.  ``path`` gives the
    format (``.json`` or TOML), the name in messages and the base folder.
    """
    data = _decode(text, path)
    return parse_recipe(
        data,
        base=path.parent,
        out_dir=out_dir,
        training=training,
        name=path.name,
        allow_outside=allow_outside,
    )


def load_frame_recipe(
    path: Path,
    *,
    out_dir: Path,
    training: TrainingPreference | None = TrainingPreference.NOT_ALLOWED,
) -> Callable[[Path], SignRequest]:
    """A recipe for tethered capture: a function from each new frame to its request.

    The recipe's ``defaults`` apply to every frame; a ``files`` entry whose source
    has the frame's name adds to them (its ``from``, ``edits``, ...).  The recipe
    is read and checked once, now; each frame is checked when it arrives.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read the recipe {path} as UTF-8 text.") from exc
    data = _decode(text, path)
    parse_recipe(
        {k: v for k, v in data.items() if k != "files"} | {"files": [{"source": "frame.jpg"}]},
        base=path.parent,
        out_dir=out_dir,
        training=training,
        name=path.name,
    )
    entries: dict[str, Mapping[str, Any]] = {}
    for entry in data.get("files") or []:
        if isinstance(entry, Mapping) and isinstance(entry.get("source"), str):
            entries[Path(entry["source"]).name] = entry

    def request_for(frame: Path) -> SignRequest:
        entry = {**entries.get(frame.name, {}), "source": str(frame.absolute())}
        entry.pop("output", None)
        recipe = {"defaults": data.get("defaults", {}), "files": [entry]}
        (request,) = parse_recipe(
            recipe, base=path.parent, out_dir=out_dir, training=training, name=path.name
        )
        return request

    return request_for


def _decode(text: str, path: Path) -> Mapping[str, Any]:
    import tomllib

    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"The recipe {path.name} is not valid JSON (line {exc.lineno}: {exc.msg})."
            ) from exc
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"The recipe {path.name} is not valid TOML ({exc}).") from exc
    if not isinstance(data, dict):
        raise InputError(f"The recipe {path.name} must be a table/object at the top.")
    return data


def parse_recipe(
    data: Mapping[str, Any],
    *,
    base: Path,
    out_dir: Path | None = None,
    training: TrainingPreference | None = TrainingPreference.NOT_ALLOWED,
    name: str = "recipe",
    allow_outside: bool = False,
) -> tuple[SignRequest, ...]:
    """A decoded recipe → sign requests (no file is opened here).

    ``base`` is the folder relative paths start from; outputs start from
    ``out_dir`` when given.  Every output must stay inside ``out_dir`` (or, without
    one, inside the recipe's folder ``base``) unless ``allow_outside``: a recipe is
    often someone else's file, and an absolute or ``../`` output must not replace
    a file elsewhere (issue 22).  Symbolic links are resolved for that check.
    """
    _no_unknown(data, _TOP_KEYS, name)
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise InputError(f"{name}: 'defaults' must be a table/object.")
    per_file = sorted(_PER_FILE_ONLY & set(defaults))
    if per_file:
        raise InputError(
            f"{name}: '{per_file[0]}' cannot be a default.",
            hint="Give it in each [[files]] entry.",
        )
    _no_unknown(defaults, _DEFAULT_KEYS, f"{name}: defaults")
    files = data.get("files")
    if not isinstance(files, list) or not files:
        raise InputError(
            f"{name}: the recipe lists no files.",
            hint="Add [[files]] entries (see docs/recipe.md).",
        )
    requests = []
    outputs: dict[str, Path] = {}
    for number, entry in enumerate(files, start=1):
        where = f"{name}: files[{number}]"
        if not isinstance(entry, dict):
            raise InputError(f"{where} must be a table/object.")
        _no_unknown(entry, _FILE_KEYS, where)
        request = _request({**defaults, **entry}, where, base, out_dir, training)
        if not allow_outside:
            _confine(request, out_dir if out_dir is not None else base, where, out_dir is not None)
        if request.output in outputs.values():
            raise InputError(f"{where}: the output {request.output} is used twice.")
        outputs[str(entry.get("output") or request.output.name)] = request.output
        requests.append(request)
    # A parent named exactly like another entry's output *is* that output, wherever
    # --out-dir puts it: that is how a chain is written in one recipe.
    for index, entry in enumerate(files):
        parent_text = entry.get("from") or entry.get("parent")
        if isinstance(parent_text, str) and parent_text.strip() in outputs:
            requests[index] = replace(requests[index], parent=outputs[parent_text.strip()])
    return tuple(requests)


def _confine(request: SignRequest, root: Path, where: str, is_out_dir: bool) -> None:
    """Refuse an output outside ``root`` (a sidecar beside its input writes no image)."""
    if request.sidecar and request.output == request.source:
        return
    inside = root.resolve()
    target = request.output.parent.resolve() / request.output.name
    if target == inside or not target.is_relative_to(inside):
        folder = "--out-dir" if is_out_dir else "the recipe's folder"
        raise InputError(
            f"{where}: the output {request.output} is outside {folder} ({root}).",
            hint="Give outputs inside it, or pass --allow-outside if you mean it.",
        )


def _no_unknown(table: Mapping[str, Any], known: frozenset[str], where: str) -> None:
    unknown = sorted(str(k) for k in table if k not in known)
    if unknown:
        raise InputError(
            f"{where}: unknown key '{unknown[0]}'.",
            hint=f"Known keys: {', '.join(sorted(known))}.",
        )


def _string(entry: Mapping[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: '{key}' must be a non-empty string.")
    return value.strip()


def _flag(entry: Mapping[str, Any], key: str, where: str) -> bool | None:
    value = entry.get(key)
    if value is not None and not isinstance(value, bool):
        raise InputError(f"{where}: '{key}' must be true or false.")
    return value


def _path(value: str, base: Path) -> Path:
    try:
        path = Path(value).expanduser()
    except RuntimeError as exc:  # "~name" of a user this machine does not know (found by fuzzing)
        raise InputError(f"The path {value!r} names a home folder that does not exist.") from exc
    return path if path.is_absolute() else base / path


def _request(
    entry: Mapping[str, Any],
    where: str,
    base: Path,
    out_dir: Path | None,
    training: TrainingPreference | None,
) -> SignRequest:
    source_text = _string(entry, "source", where)
    if source_text is None:
        raise InputError(f"{where}: 'source' is missing.")
    source = _path(source_text, base)
    output_text = _string(entry, "output", where)
    if output_text is None and out_dir is None and _flag(entry, "sidecar", where):
        output = source  # the sidecar goes beside the input; no image is written
    elif output_text is None:
        if out_dir is None:
            raise InputError(
                f"{where}: 'output' is missing.", hint="Give an output, or sign with --out-dir."
            )
        output = out_dir / source.name
    else:
        output = _path(output_text, out_dir if out_dir is not None else base)
    if "from" in entry and "parent" in entry:
        raise InputError(f"{where}: give 'from' or 'parent', not both.")
    parent_text = _string(entry, "from", where) or _string(entry, "parent", where)
    parent = _path(parent_text, base) if parent_text else None
    generated = bool(_flag(entry, "generated", where))
    tool = _string(entry, "tool", where)
    if generated and tool is None:
        raise InputError(f"{where}: a generated image needs 'tool' (the model that made it).")
    if generated and parent is not None:
        raise InputError(f"{where}: a generated image has no photographic parent ('from').")
    preference = training
    choice = _string(entry, "ai_training", where)
    if choice is not None:
        try:
            preference = TrainingPreference(choice)
        except ValueError as exc:
            raise InputError(
                f"{where}: 'ai_training' must be allowed, notAllowed or constrained."
            ) from exc
    return SignRequest(
        source=source,
        output=output,
        parent=parent,
        edits=_edits(entry.get("edits"), where, base),
        generated=generated,
        generator_tool=tool if generated else None,
        keep_location=bool(_flag(entry, "keep_location", where)),
        redact_location=_flag(entry, "redact_location", where),
        training=preference,
        all_actions_included=bool(_flag(entry, "all_actions_included", where)),
        legacy_exif=bool(_flag(entry, "legacy_exif", where)),
        sidecar=bool(_flag(entry, "sidecar", where)),
        components=_components(entry.get("components"), where, base, parent),
        ai_inputs=_ai_inputs(entry.get("ai_inputs"), where, base),
    )


def _components(raw: Any, where: str, base: Path, parent: Path | None) -> tuple[ComponentSpec, ...]:
    """``components = [{file = "sky.jpg", label = "sky", mask = "sky_mask.png"}]`` (mask optional)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError(f"{where}: 'components' must be a list of tables/objects.")
    if parent is None and raw:
        raise InputError(f"{where}: components are placed into an edit: give 'from' (the parent).")
    specs = []
    for number, item in enumerate(raw, start=1):
        here = f"{where}.components[{number}]"
        if not isinstance(item, dict):
            raise InputError(f"{here} must be a table/object.")
        _no_unknown(item, _COMPONENT_KEYS, here)
        file_text = _string(item, "file", here)
        if file_text is None:
            raise InputError(f"{here}: 'file' is missing (the file the part came from).")
        mask_text = _string(item, "mask", here)
        specs.append(
            ComponentSpec(
                path=_path(file_text, base),
                label=_string(item, "label", here),
                mask=_path(mask_text, base)
                if mask_text and mask_text.strip().lower() != "measured"
                else None,
            )
        )
    return tuple(specs)


def _ai_inputs(raw: Any, where: str, base: Path) -> tuple[Path, ...]:
    """``ai_inputs = ["reference.jpg"]``: reference images given to the AI tool."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        raise InputError(f"{where}: 'ai_inputs' must be a list of file names.")
    return tuple(_path(x, base) for x in raw)


def _edits(raw: Any, where: str, base: Path) -> tuple[EditSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError(f"{where}: 'edits' must be a list of tables/objects.")
    edits = []
    for number, item in enumerate(raw, start=1):
        here = f"{where}.edits[{number}]"
        if not isinstance(item, dict):
            raise InputError(f"{here} must be a table/object.")
        _no_unknown(item, _EDIT_KEYS, here)
        kind_text = _string(item, "kind", here)
        try:
            kind = EditKind(kind_text or "")
        except ValueError as exc:
            raise InputError(f"{here}: 'kind' must be ai_edit, enhance or edit.") from exc
        description = _string(item, "description", here)
        if description is None:
            raise InputError(f"{here}: 'description' is missing (say what was done).")
        tool = _string(item, "tool", here)
        mask_text = _string(item, "mask", here)
        if kind is not EditKind.EDIT and tool is None:
            raise InputError(f"{here}: an AI edit needs 'tool' (NAME or NAME/VERSION).")
        if mask_text is not None and kind is EditKind.EDIT:
            raise InputError(f"{here}: masks declare AI edits only.")
        edits.append(
            EditSpec(
                kind,
                description,
                tool=tool,
                mask=_path(mask_text, base) if mask_text else None,
            )
        )
    return tuple(edits)
