"""The client's page: ``GET /`` (the form) and ``POST /verify`` (the results).

With scripts off, the form posts and the answer is the whole page with the
results.  With scripts on (static/page.js), a drop or a choice of files is
sent with ``X-Provenance-Fragment: 1`` and the answer is the results block
alone, put in place without a reload.  Both go through the same CSRF check.

When the server has a token (``--token``), the page asks for it once
(``POST /login``) and then carries a server-signed session cookie
(``HttpOnly``, ``SameSite=Strict``), so a server that others can reach does not
verify files for anyone who finds it.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, Any

from provenance import __version__
from provenance.serve import results as results_view
from provenance.serve.problems import ProblemError
from provenance.serve.security import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE
from provenance.serve.uploads import receive_multipart
from provenance.serve.work import Job

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from provenance.serve.app import ServerState


def _state(request: Request) -> ServerState:
    return request.app.state.server  # type: ignore[no-any-return]


def signed_in(request: Request) -> bool:
    """True when the page needs no token, or this browser gave it (session cookie)."""
    state = _state(request)
    if state.config.token is None:
        return True
    return state.sessions.valid(request.cookies.get(SESSION_COOKIE))


def _page(
    request: Request,
    *,
    results: str | None = None,
    error: str | None = None,
    status: int = 200,
    login: bool | None = None,
) -> Response:
    from starlette.responses import HTMLResponse

    state = _state(request)
    config = state.config
    cookie = request.cookies.get(CSRF_COOKIE)
    token = cookie if cookie and state.csrf.valid(cookie) else state.csrf.new_token()
    html = state.templates.get_template("page.html").render(
        version=__version__,
        csrf=token,
        keep_uploads=config.keep_uploads is not None,
        loopback=config.loopback,
        max_files=config.max_files,
        max_upload_mb=f"{config.max_upload_bytes / 1024 / 1024:g}",
        results=results,
        error=error,
        login=(not signed_in(request)) if login is None else login,
    )
    response = HTMLResponse(html, status_code=status)
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=False, path="/"
    )
    return response


async def index(request: Request) -> Response:
    """The page with the upload form (or, on a server with a token, the sign-in form)."""
    return _page(request)


async def login(request: Request) -> Response:
    """``POST /login``: the server's token, once per browser; then a session cookie."""
    import hmac

    from starlette.responses import RedirectResponse

    state = _state(request)
    expected = state.config.token
    form = await request.form(max_files=0, max_fields=4, max_part_size=4096)
    try:
        field = form.get(CSRF_FIELD)
        given = form.get("token")
    finally:
        await form.close()
    state.csrf.check(
        request.cookies.get(CSRF_COOKIE),
        field if isinstance(field, str) else None,
        origin=request.headers.get("origin"),
        fetch_site=request.headers.get("sec-fetch-site"),
        host=request.headers.get("host", ""),
    )
    if expected is None:
        return RedirectResponse("/", status_code=303)
    if not isinstance(given, str) or not hmac.compare_digest(
        given.strip().encode("utf-8"), expected.encode("utf-8")
    ):
        return _page(request, error="That is not this server's token.", status=401, login=True)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        state.sessions.new_token(),
        httponly=True,
        samesite="strict",
        secure=False,
        path="/",
    )
    return response


def message_page(request: Request, problem: ProblemError) -> Response:
    """A refused page request, as a page (with the form again, so the client can retry)."""
    try:
        return _page(request, error=problem.detail, status=problem.status)
    except Exception:  # noqa: BLE001 - no state (e.g. during start-up): a bare page
        from starlette.responses import PlainTextResponse

        return PlainTextResponse(problem.detail, status_code=problem.status)


def render_results(state: ServerState, reports: list[Any], policy: list[Any] | None) -> str:
    """The results block (table, filter, downloads, one report per file)."""
    return str(
        state.templates.get_template("results.html").render(
            rows=results_view.rows(reports, policy),
            counts=results_view.counts(reports),
            policy=policy is not None,
            csv_href=results_view.data_link(results_view.csv_text(reports, policy), "text/csv"),
            json_href=results_view.data_link(
                results_view.reports_json(reports, policy), "application/json"
            ),
        )
    )


async def verify_form(request: Request) -> Response:
    """Verify the files of the form; the whole page, or the results block for the script."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import HTMLResponse

    state = _state(request)
    config = state.config
    cookie = request.cookies.get(CSRF_COOKIE)
    if not signed_in(request):
        raise ProblemError(
            "unauthorized", "Sign in with this server's token first (reload the page)."
        )
    # Everything but the form field is known before the body is read: refuse early.
    state.csrf.check(
        cookie,
        cookie,
        origin=request.headers.get("origin"),
        fetch_site=request.headers.get("sec-fetch-site"),
        host=request.headers.get("host", ""),
    )
    folder = state.request_folder()
    try:
        length = request.headers.get("content-length")
        received = await receive_multipart(
            request.stream(),
            request.headers.get("content-type", ""),
            int(length) if length and length.isdigit() else None,
            folder,
            max_bytes=config.max_upload_bytes,
            max_files=config.max_files,
        )
        state.csrf.check(
            cookie,
            received.fields.get(CSRF_FIELD),
            origin=None,
            fetch_site=None,
            host=request.headers.get("host", ""),
        )
        if not received.files:
            raise ProblemError("bad-request", "Choose one or more images first.")
        jobs = [Job(u.path, u.name) for u in received.files]
        reports = await state.verify(jobs)
        policy = state.policy_results(reports)
        block = await run_in_threadpool(render_results, state, reports, policy)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if request.headers.get("x-provenance-fragment"):
        return HTMLResponse(block)
    return _page(request, results=block)


async def report_css(request: Request) -> Response:
    """The HTML report's own stylesheet (one source of truth with ``--format html``)."""
    from starlette.responses import Response as PlainResponse

    from provenance.report.html import stylesheet

    return PlainResponse(stylesheet(), media_type="text/css; charset=utf-8")
