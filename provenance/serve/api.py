"""The publisher's API: ``/api/v1/verify``, ``/api/v1/check``, ``/api/v1/health``, docs.

Answers are the library's own JSON (``verify --format json`` objects, always
a list here; ``check --json`` entries for check).  A verdict is never an HTTP
error: a tampered file is a 200 whose body says ``invalid``.  Requests that
cannot be used get an RFC 9457 problem (:mod:`.problems`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provenance import __version__
from provenance.serve.problems import ProblemError
from provenance.serve.security import check_bearer
from provenance.serve.uploads import receive_multipart
from provenance.serve.work import Job

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from provenance.serve.app import ServerState

#: Largest JSON body (a list of paths) the API reads.
MAX_JSON_BYTES = 1024 * 1024


def _state(request: Request) -> ServerState:
    return request.app.state.server  # type: ignore[no-any-return]


def _json(data: Any) -> Response:
    from starlette.responses import Response as RawResponse

    body = json.dumps(data, indent=None, ensure_ascii=True, separators=(",", ":"))
    return RawResponse(body, media_type="application/json")


async def _read_json(request: Request) -> Any:
    size = 0
    chunks = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_JSON_BYTES:
            raise ProblemError("too-large", "The JSON body is larger than 1 MB.")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProblemError("bad-request", "The body is not valid JSON.") from exc


def resolve_paths(root: Path, given: Any, max_files: int) -> list[Job]:
    """Jobs for server-side paths inside ``root``; anything else is a 400 that names no folder.

    Paths may be relative to ``root`` or absolute within it; symbolic links are
    followed before the check, so a link cannot lead outside.  Reports name
    each file by its path relative to ``root``.
    """
    if isinstance(given, dict) and "paths" in given:
        given = given["paths"]
    if not isinstance(given, list) or not all(isinstance(p, str) for p in given):
        raise ProblemError("bad-request", 'Send a JSON list of paths, e.g. ["a.jpg", "b/c.png"].')
    if len(given) > max_files:
        raise ProblemError("bad-request", f"Send at most {max_files} paths in one request.")
    base = root.resolve()
    jobs = []
    for raw in given:
        if not raw or "\x00" in raw:
            raise ProblemError("bad-request", "An empty or malformed path was given.")
        candidate = (base / raw).resolve()
        if not candidate.is_relative_to(base) or candidate == base:
            raise ProblemError("bad-request", "A path is outside the folder this server may read.")
        jobs.append(Job(candidate, candidate.relative_to(base).as_posix()))
    return jobs


async def _reports(request: Request) -> list[Any]:
    """Authenticate, take the files (uploads or allowed paths), verify them."""
    state = _state(request)
    config = state.config
    check_bearer(config.token, request.headers.get("authorization"))
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() == "application/json":
        if config.allow_paths is None:
            raise ProblemError(
                "unsupported-media-type",
                "This server verifies uploads only (multipart/form-data, field 'files'); "
                "paths need --allow-paths.",
            )
        jobs = resolve_paths(config.allow_paths, await _read_json(request), config.max_files)
        if not jobs:
            raise ProblemError("bad-request", "The list of paths is empty.")
        return await state.verify(jobs)
    folder = state.request_folder()
    try:
        length = request.headers.get("content-length")
        received = await receive_multipart(
            request.stream(),
            content_type,
            int(length) if length and length.isdigit() else None,
            folder,
            max_bytes=config.max_upload_bytes,
            max_files=config.max_files,
        )
        if not received.files:
            raise ProblemError("bad-request", "No files: send them in the form field 'files'.")
        return await state.verify([Job(u.path, u.name) for u in received.files])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def verify(request: Request) -> Response:
    """``POST /api/v1/verify``: a list of reports, one per file."""
    from provenance.report.json_report import report_to_dict

    reports = await _reports(request)
    return _json([report_to_dict(r) for r in reports])


async def check(request: Request) -> Response:
    """``POST /api/v1/check``: reports with the policy's verdict, as ``check --json``."""
    from provenance.report.json_report import report_to_dict

    state = _state(request)
    if state.config.policy is None:
        check_bearer(state.config.token, request.headers.get("authorization"))
        raise ProblemError(
            "no-policy",
            "This server was started without a policy (provenance serve --policy FILE).",
        )
    reports = await _reports(request)
    results = state.policy_results(reports) or []
    out = []
    for report, result in zip(reports, results, strict=True):
        entry = report_to_dict(report)
        entry["policy"] = {"passed": result.passed, "reasons": list(result.reasons)}
        out.append(entry)
    return _json(out)


async def health(request: Request) -> Response:
    """``GET /api/v1/health``: up, and how busy."""
    state = _state(request)
    return _json(
        {
            "status": "ok",
            "version": __version__,
            "workers": state.gate.slots,
            "busy": state.gate.busy,
            "queued": state.gate.waiting,
            "queue_limit": state.gate.queue,
            "policy": state.config.policy is not None,
            "paths": state.config.allow_paths is not None,
        }
    )


async def report_schema(request: Request) -> Response:
    """The JSON Schema of the reports (the file shipped with the package)."""
    from starlette.responses import Response as RawResponse

    from provenance.report.json_report import schema_path

    return RawResponse(schema_path().read_bytes(), media_type="application/schema+json")


def _spec(state: ServerState) -> dict[str, Any]:
    from provenance.serve.openapi import openapi

    config = state.config
    return openapi(
        with_paths=config.allow_paths is not None,
        with_policy=config.policy is not None,
        with_token=config.token is not None,
    )


async def openapi_json(request: Request) -> Response:
    """``GET /api/openapi.json``."""
    return _json(_spec(_state(request)))


async def docs(request: Request) -> Response:
    """``GET /api/docs``: the OpenAPI document as a page (server-rendered, no script)."""
    from starlette.responses import HTMLResponse

    state = _state(request)
    spec = _spec(state)
    html = state.templates.get_template("apidocs.html").render(
        version=__version__,
        spec=spec,
        spec_json=json.dumps(spec, indent=2),
        token=state.config.token is not None,
    )
    return HTMLResponse(html)
