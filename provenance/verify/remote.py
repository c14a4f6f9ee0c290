"""Our own bounded fetch of a remote manifest (``--allow-remote``).

c2pa can fetch a remote manifest itself, but then the file decides how long we
wait (a silent server costs c2pa's own 30 s timeout, or more) and how much we
download.  So c2pa always reads offline; when the caller allows it, this module
fetches the URL the file names, within limits the *reader* sets, and the bytes
are handed to the reader like a sidecar manifest (C2PA 2.x, 11.3 "External
manifests").

The limits (issue 22):

* **One deadline over the whole exchange**: name lookup, connect, TLS, the
  status line, the headers and the body, over every redirect hop.  A server
  that trickles one header byte per second cannot stretch it, because the
  exchange runs in a helper thread that the caller stops waiting for at the
  deadline, shutting its socket so it ends too.  (A per-operation socket timeout,
  urllib's, restarts with every byte.)
* ``http`` and ``https`` only, checked on the first URL and on every redirect
  target; at most :data:`MAX_REDIRECTS` redirects.
* At most ``max_bytes`` of body.

Nothing here runs unless the caller opted in.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from provenance.errors import OperationError

#: Whole-exchange budget for one remote manifest, in seconds.
DEFAULT_TIMEOUT = 10.0
#: Remote manifests larger than this are refused.
MAX_MANIFEST_BYTES = 32 * 1024 * 1024
#: Redirects followed before giving up.
MAX_REDIRECTS = 3

_ACCEPT = "application/c2pa, application/octet-stream;q=0.5"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class RemoteFetchError(OperationError):
    """The remote manifest could not be fetched within the limits."""


def _short(url: str) -> str:
    return url if len(url) <= 200 else url[:199] + "…"


def _check_url(url: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteFetchError(
            f"The remote manifest address is not an http(s) URL: {_short(url)}",
            hint="Only http and https addresses are fetched, also after a redirect.",
        )
    return parts


@dataclass
class _Exchange:
    """State shared between the caller and the helper thread doing the exchange."""

    url: str
    max_bytes: int
    deadline: float
    connection: http.client.HTTPConnection | None = None
    result: bytes | None = None
    error: BaseException | None = None
    cancelled: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0 or self.cancelled:
            raise TimeoutError("deadline passed")
        return left

    def abort(self) -> None:
        """Called by the caller at the deadline: end whatever the thread is blocked in."""
        with self.lock:
            self.cancelled = True
            conn = self.connection
        if conn is not None and conn.sock is not None:
            try:
                # The plain socket's shutdown, even under TLS: it wakes a blocked recv.
                socket.socket.shutdown(conn.sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def run(self) -> None:
        try:
            self.result = self._fetch()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, which words it
            self.error = exc
        finally:
            with self.lock:
                conn, self.connection = self.connection, None
            if conn is not None:
                conn.close()

    def _connect(self, parts: urllib.parse.SplitResult) -> http.client.HTTPConnection:
        timeout = self.remaining()
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(
                parts.hostname or "",
                parts.port,
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
        with self.lock:
            if self.cancelled:
                raise TimeoutError("deadline passed")
            self.connection = conn
        return conn

    def _fetch(self) -> bytes:
        url = self.url
        for _hop in range(MAX_REDIRECTS + 1):
            parts = _check_url(url)
            conn = self._connect(parts)
            target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
            conn.request("GET", target, headers={"Accept": _ACCEPT, "User-Agent": "provenance"})
            response = conn.getresponse()
            if response.status in _REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    raise RemoteFetchError(
                        f"The server at {_short(url)} redirected without saying where."
                    )
                url = urllib.parse.urljoin(url, location)
                with self.lock:
                    self.connection = None
                conn.close()
                continue
            if response.status != 200:
                raise RemoteFetchError(
                    f"The server at {_short(url)} answered HTTP {response.status}."
                )
            return self._body(response, url)
        raise RemoteFetchError(
            f"The remote manifest at {_short(self.url)} redirected more than "
            f"{MAX_REDIRECTS} times.",
        )

    def _body(self, response: http.client.HTTPResponse, url: str) -> bytes:
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise RemoteFetchError(_too_large(url, self.max_bytes))
        chunks: list[bytes] = []
        total = 0
        while True:
            self.remaining()
            chunk = response.read1(64 * 1024)
            if not chunk:
                return b"".join(chunks)
            total += len(chunk)
            if total > self.max_bytes:
                raise RemoteFetchError(_too_large(url, self.max_bytes))
            chunks.append(chunk)


def _too_large(url: str, max_bytes: int) -> str:
    return f"The remote manifest at {_short(url)} is larger than {max_bytes:,} bytes."


def fetch_manifest(
    url: str, *, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = MAX_MANIFEST_BYTES
) -> bytes:
    """Download a remote manifest within ``timeout`` seconds in all, or raise :class:`RemoteFetchError`."""
    _check_url(url)
    exchange = _Exchange(url=url, max_bytes=max_bytes, deadline=time.monotonic() + timeout)
    worker = threading.Thread(target=exchange.run, name="remote-manifest", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        exchange.abort()
        worker.join(0.5)  # it ends once its socket is shut; we do not wait longer
        raise RemoteFetchError(
            f"The remote manifest at {_short(url)} took longer than {timeout:g} s.",
            hint="The server is slow or not answering; try later or raise --remote-timeout.",
        )
    error = exchange.error
    if error is None and exchange.result is not None:
        return exchange.result
    if isinstance(error, RemoteFetchError):
        raise error
    if isinstance(error, TimeoutError | socket.timeout):
        raise RemoteFetchError(
            f"The remote manifest at {_short(url)} took longer than {timeout:g} s."
        ) from error
    reason = getattr(error, "reason", None) or getattr(error, "strerror", None) or error
    raise RemoteFetchError(
        f"The remote manifest at {_short(url)} could not be fetched ({reason})."
    ) from error
