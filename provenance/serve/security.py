"""What keeps a local server local: Host allow-list, strict headers, CSRF, the API token.

- **Host allow-list** (DNS rebinding): a page on the web can make its own host
  name resolve to 127.0.0.1 and then talk to this server as "same origin".  The
  browser still sends that foreign name in ``Host``; such a request is answered
  421 before any route runs.
- **Headers on every response**: a Content-Security-Policy that allows only this
  server's own script, style and ``data:`` pictures (no inline script, no
  external resource, no framing), ``nosniff``, ``no-referrer``, ``no-store``.
- **CSRF** for the page's form: a signed token in a ``SameSite=Strict`` cookie
  and the same token in the form (double submit), plus the ``Origin`` /
  ``Sec-Fetch-Site`` headers browsers send.
- **Bearer token** for the API (``--token`` or ``PROVENANCE_SERVE_TOKEN``),
  compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from provenance.serve.problems import MEDIA_TYPE, ProblemError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)
CSRF_COOKIE = "provenance_csrf"
#: With a token, the page too needs it once: then this cookie (HttpOnly, SameSite=Strict).
SESSION_COOKIE = "provenance_session"
CSRF_FIELD = "csrf"


def host_name(header: str) -> str:
    """The name part of a ``Host`` header value (no port, no brackets), lower case."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class GuardMiddleware:
    """Refuse foreign ``Host`` headers (421) and put the security headers on every response."""

    def __init__(self, app: ASGIApp, allowed_hosts: frozenset[str]) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = ""
        for key, value in scope.get("headers", ()):
            if key == b"host":
                host = value.decode("latin-1")
                break
        if host_name(host) not in self.allowed_hosts:
            problem = ProblemError(
                "misdirected", "This server does not answer to the host name in the request."
            )
            await _send_problem(send, problem)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", ())}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _send_problem(send: Send, problem: ProblemError) -> None:
    body = json.dumps(problem.body()).encode("utf-8")
    headers = [
        (b"content-type", MEDIA_TYPE.encode("ascii")),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"connection", b"close"),
        *SECURITY_HEADERS,
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Csrf:
    """Signed double-submit tokens: ``nonce.mac`` in a cookie and in the form."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def new_token(self) -> str:
        """A fresh token for a page."""
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._mac(nonce)}"

    def valid(self, token: str | None) -> bool:
        """True for a token this server made."""
        if not token or token.count(".") != 1:
            return False
        nonce, mac = token.split(".")
        return hmac.compare_digest(mac, self._mac(nonce))

    def _mac(self, nonce: str) -> str:
        return hmac.new(self._secret, nonce.encode("ascii", "replace"), hashlib.sha256).hexdigest()

    def check(
        self,
        cookie: str | None,
        field: str | None,
        *,
        origin: str | None,
        fetch_site: str | None,
        host: str,
    ) -> None:
        """Raise a 403 problem unless the form came from this server's own page."""
        if fetch_site is not None and fetch_site not in ("same-origin", "none"):
            raise ProblemError("forbidden", "The form was sent from another site.")
        if origin is not None and origin != "null":
            if urlsplit(origin).netloc.lower() != host.lower():
                raise ProblemError("forbidden", "The form was sent from another site.")
        if not (self.valid(cookie) and field and hmac.compare_digest(field, cookie or "")):
            raise ProblemError(
                "forbidden", "The form has expired or did not come from this page; reload it."
            )


def check_bearer(expected: str | None, authorization: str | None) -> None:
    """Raise a 401 problem unless ``Authorization: Bearer <expected>`` (when a token is set)."""
    if expected is None:
        return
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode("utf-8"), expected.encode("utf-8")
    ):
        raise ProblemError(
            "unauthorized",
            "Send the server's API token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": 'Bearer realm="provenance"'},
        )
