"""Assembly: the Starlette application, its shared state, and :func:`serve` (uvicorn).

Everything that lives as long as the server is in :class:`ServerState`: the
configuration, the :class:`~provenance.serve.work.Gate`, the CSRF secret, the
templates and the private temp folder under which each request gets its own
folder, removed when the response has been sent (or the request failed).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance.serve.config import ServeConfig
from provenance.serve.problems import MEDIA_TYPE, ProblemError
from provenance.serve.security import Csrf, GuardMiddleware
from provenance.serve.work import Gate, Job, keep_copies, verify_jobs, warm_workers

_PACKAGE = Path(__file__).resolve().parent


@dataclass(slots=True)
class ServerState:
    """What every request shares."""

    config: ServeConfig
    gate: Gate
    csrf: Csrf
    #: Signs the page's session cookies (only used when the server has a token).
    sessions: Csrf
    templates: Any  # jinja2.Environment
    temp_root: Path

    def request_folder(self) -> Path:
        """A new private folder for one request's uploads."""
        return Path(tempfile.mkdtemp(prefix="req-", dir=self.temp_root))

    async def verify(self, jobs: Sequence[Job]) -> list[Any]:
        """Verify uploads under the gate (503 when the queue is full); reports in order."""
        from starlette.concurrency import run_in_threadpool

        config = self.config
        async with self.gate.hold(len(jobs)) as workers:
            reports = await run_in_threadpool(
                verify_jobs,
                jobs,
                config.verify_options,
                workers=workers,
                timeout_s=config.timeout_s,
                max_pixels=config.max_pixels,
            )
        if config.keep_uploads is not None and jobs:
            await run_in_threadpool(keep_copies, jobs, config.keep_uploads)
        return reports

    def policy_results(self, reports: Sequence[Any]) -> list[Any] | None:
        """Policy results per report, or None when the server has no policy."""
        if self.config.policy is None:
            return None
        from provenance.volume.policy import evaluate

        return [evaluate(self.config.policy, r) for r in reports]


def _templates() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_PACKAGE / "templates")),
        autoescape=True,  # every value from a manifest or a client is hostile text
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )


def problem_response(problem: ProblemError) -> Any:
    """An RFC 9457 response for ``problem``."""
    from starlette.responses import JSONResponse

    return JSONResponse(
        problem.body(),
        status_code=problem.status,
        headers=dict(problem.headers),
        media_type=MEDIA_TYPE,
    )


def create_app(config: ServeConfig) -> Any:
    """The ASGI application for ``config`` (a Starlette app wrapped in the Host guard)."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    from provenance.serve import api, page

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        root = Path(tempfile.mkdtemp(prefix="provenance-serve-", dir=config.temp_dir))
        app.state.server = ServerState(
            config=config,
            gate=Gate(config.workers, config.queue),
            csrf=Csrf(),
            sessions=Csrf(),
            templates=_templates(),
            temp_root=root,
        )
        from starlette.concurrency import run_in_threadpool

        await run_in_threadpool(warm_workers)
        try:
            yield
        finally:
            shutil.rmtree(root, ignore_errors=True)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        if request.url.path.startswith("/api/") or request.headers.get("x-provenance-fragment"):
            return problem_response(exc)  # type: ignore[no-any-return]
        return page.message_page(request, exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        kind = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "bad-request")
        return await on_problem(request, ProblemError(kind, _http_detail(exc.status_code)))

    async def on_error(request: Request, exc: Exception) -> Response:
        # For the operator's log; the client gets one sentence and no details.
        logging.getLogger("provenance.serve").error(
            "internal error answering %s %s", request.method, request.url.path, exc_info=exc
        )
        return await on_problem(
            request, ProblemError("internal", "The server could not answer this request.")
        )

    routes = [
        Route("/", page.index, methods=["GET"]),
        Route("/verify", page.verify_form, methods=["POST"]),
        Route("/login", page.login, methods=["POST"]),
        Route("/api/v1/verify", api.verify, methods=["POST"]),
        Route("/api/v1/check", api.check, methods=["POST"]),
        Route("/api/v1/health", api.health, methods=["GET"]),
        Route("/api/v1/schema/report.json", api.report_schema, methods=["GET"]),
        Route("/api/openapi.json", api.openapi_json, methods=["GET"]),
        Route("/api/docs", api.docs, methods=["GET"]),
        Route("/static/report.css", page.report_css, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=str(_PACKAGE / "static")), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            ProblemError: on_problem,
            HTTPException: on_http,
            Exception: on_error,
        },
    )
    return GuardMiddleware(app, config.allowed_hosts)


def _http_detail(status: int) -> str:
    return {
        404: "There is no page or API route at this address.",
        405: "This address does not accept that method.",
    }.get(status, "The request cannot be used.")


def serve(config: ServeConfig) -> None:
    """Run the server until interrupted (uvicorn, one process; verification in workers)."""
    import uvicorn

    uvicorn.run(
        create_app(config),
        host=config.host,
        port=config.port,
        log_level=config.log_level,
        access_log=config.access_log,
        server_header=False,
        proxy_headers=False,
        # Connections beyond these get uvicorn's own 503: workers + queue + room for
        # cheap requests (health, the page, static files).
        limit_concurrency=config.workers + config.queue + 64,
        timeout_graceful_shutdown=int(config.timeout_s) + 5,
        lifespan="on",
    )
