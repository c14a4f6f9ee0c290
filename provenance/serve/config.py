"""The settings of one server, checked once when it starts.

Kept free of the server stack (no Starlette import) so the CLI can build and
validate a configuration, and tests can make one, without starting anything.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from provenance.errors import InputError

if TYPE_CHECKING:
    from provenance.verify import VerifyOptions
    from provenance.volume.policy import Policy

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8737
DEFAULT_MAX_UPLOAD_MB = 200
#: Pixels one uploaded image may have (width x height) before it is refused unread.
DEFAULT_MAX_MEGAPIXELS = 100
#: Requests that may wait for a worker before new ones get 503.
DEFAULT_QUEUE = 64
DEFAULT_TIMEOUT_S = 60.0
#: Files in one request (page or API).
DEFAULT_MAX_FILES = 100
TOKEN_ENV = "PROVENANCE_SERVE_TOKEN"  # noqa: S105 - a variable name, not a secret

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """True when ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _host_names(host: str) -> set[str]:
    """The Host header values a browser sends for a server bound to ``host``."""
    name = host.strip().strip("[]").lower()
    names = {"127.0.0.1", "localhost", "::1"}
    if name in ("0.0.0.0", "::", ""):  # noqa: S104 - comparing, not binding
        # Every interface: the machine's own names and addresses.
        hostname = socket.gethostname().lower()
        names.update({hostname, socket.getfqdn().lower()})
        try:
            names.update(str(info[4][0]) for info in socket.getaddrinfo(hostname, None))
        except OSError:
            pass
    else:
        names.add(name)
    return names


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """Everything one server needs; built by ``provenance serve`` from its options."""

    verify_options: VerifyOptions
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    #: Bearer token for the API (None: no authentication, loopback use).
    token: str | None = None
    policy: Policy | None = None
    #: Worker processes verifying at once (all requests together).
    workers: int = 2
    queue: int = DEFAULT_QUEUE
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    max_pixels: int = DEFAULT_MAX_MEGAPIXELS * 1_000_000
    max_files: int = DEFAULT_MAX_FILES
    timeout_s: float = DEFAULT_TIMEOUT_S
    #: Copy every upload here after verifying it (None: nothing is kept).
    keep_uploads: Path | None = None
    #: Server-side folder whose files the API may verify by path (None: uploads only).
    allow_paths: Path | None = None
    #: Extra Host header names accepted (a reverse proxy's public name).
    extra_hosts: tuple[str, ...] = ()
    #: Folder for the per-request temp folders (None: the system's temp folder).
    temp_dir: Path | None = None
    log_level: str = "warning"
    access_log: bool = False
    allowed_hosts: frozenset[str] = field(default=frozenset(), init=False)

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise InputError(f"--port {self.port} is not a port number (0-65535).")
        for name, value in (
            ("--workers", self.workers),
            ("--max-upload-mb", self.max_upload_bytes),
            ("--max-megapixels", self.max_pixels),
            ("--max-files", self.max_files),
        ):
            if value < 1:
                raise InputError(f"{name} must be at least 1.")
        if self.queue < 0:
            raise InputError("--queue cannot be negative.")
        if self.timeout_s <= 0:
            raise InputError("--timeout must be positive.")
        if self.token is not None and len(self.token) < 16:
            raise InputError(
                "The API token is too short.",
                hint="Use at least 16 random characters, e.g. `openssl rand -hex 24`.",
            )
        for label, folder in (
            ("--keep-uploads", self.keep_uploads),
            ("--allow-paths", self.allow_paths),
        ):
            if folder is not None and not folder.is_dir():
                raise InputError(f"{label} {folder} is not a folder.", hint="Create it first.")
        hosts = _host_names(self.host) | {h.strip().strip("[]").lower() for h in self.extra_hosts}
        object.__setattr__(self, "allowed_hosts", frozenset(h for h in hosts if h))

    @property
    def loopback(self) -> bool:
        """True when the server is reachable from this machine only."""
        return is_loopback(self.host)

    @property
    def url(self) -> str:
        """The address to open in a browser."""
        host = self.host if ":" not in self.host else f"[{self.host}]"
        if host in ("0.0.0.0", "[::]"):  # noqa: S104 - display only
            host = "127.0.0.1"
        return f"http://{host}:{self.port}/"


def default_workers() -> int:
    """Worker processes by default: the cores this process may use, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))
