"""Our own bounded fetch of a remote manifest (``--allow-remote``).

c2pa can fetch a remote manifest itself, but then the file decides how long we
wait (a silent server costs c2pa's own 30 s timeout, or more) and how much we
download.  So c2pa always reads offline; when the caller allows it, this module
fetches the URL the file names, with a hard timeout and a size cap, and the
bytes are handed to the reader like a sidecar manifest.

Only ``http`` and ``https`` URLs are fetched; redirects are followed by urllib
only to other http(s) URLs.  Nothing here runs unless the caller opted in.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request

from provenance.errors import OperationError

#: Whole-request budget for one remote manifest, in seconds.
DEFAULT_TIMEOUT = 10.0
#: Remote manifests larger than this are refused.
MAX_MANIFEST_BYTES = 32 * 1024 * 1024

_ACCEPT = "application/c2pa, application/octet-stream;q=0.5"


class RemoteFetchError(OperationError):
    """The remote manifest could not be fetched within the limits."""


def _check_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RemoteFetchError(f"The remote manifest address is not an http(s) URL: {url[:200]}")
    return url


def fetch_manifest(
    url: str, *, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = MAX_MANIFEST_BYTES
) -> bytes:
    """Download a remote manifest, or raise :class:`RemoteFetchError`.

    ``timeout`` bounds every socket operation and the whole download.
    """
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        _check_url(url), headers={"Accept": _ACCEPT, "User-Agent": "provenance"}
    )
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            _check_url(response.geturl())
            chunks: list[bytes] = []
            total = 0
            while True:
                if time.monotonic() > deadline:
                    raise RemoteFetchError(f"The remote manifest at {url} took too long.")
                chunk = response.read1(64 * 1024)
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise RemoteFetchError(
                        f"The remote manifest at {url} is larger than {max_bytes:,} bytes."
                    )
                chunks.append(chunk)
    except RemoteFetchError:
        raise
    except urllib.error.HTTPError as exc:
        raise RemoteFetchError(f"The server at {url} answered HTTP {exc.code}.") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise RemoteFetchError(
            f"The remote manifest at {url} could not be fetched ({reason})."
        ) from exc
    return b"".join(chunks)
