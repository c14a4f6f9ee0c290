"""Talking to a running signing agent with requests: the encoding and a small client.

Cheap to import (no c2pa, Pillow, numpy or cryptography): ``provenance sign`` asks
the agent first, and only when none is running pays for unlocking the key itself.
The socket and the line protocol are :mod:`provenance.sign.agent_wire`.

The wire format is one JSON object per line over a Unix stream socket.  A request
to sign carries :class:`~provenance.sign.request.SignRequest` values encoded field
by field (:func:`encode_request` / :func:`decode_request`), never pickles: the
agent treats what arrives as data.
"""

from __future__ import annotations

import dataclasses
import enum
import socket
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance.errors import InputError, OperationError
from provenance.sign.agent_wire import (
    CONNECT_TIMEOUT_S as CONNECT_TIMEOUT_S,
)
from provenance.sign.agent_wire import LineReader as LineReader
from provenance.sign.agent_wire import connect_socket, read_while_signing
from provenance.sign.agent_wire import send_line as send_line
from provenance.sign.agent_wire import socket_path as socket_path
from provenance.sign.request import SignOutcome, SignRequest

# --------------------------------------------------------------------------- wire format


def _encode_value(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_encode_value(v) for v in value]
    return value


def encode_request(request: SignRequest) -> dict[str, Any]:
    """A request as JSON-ready values; paths are made absolute (the agent has its own cwd)."""
    encoded: dict[str, Any] = _encode_value(request.absolute())
    return encoded


def _decode_as(kind: Any, value: Any, where: str) -> Any:
    """``value`` as type ``kind`` (the field's annotation), or InputError."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return _decode_as(option, value, where)
            except InputError:
                continue
        raise InputError(f"agent request: {where} has an unexpected value.")
    if origin is tuple:
        (item, *_rest) = typing.get_args(kind)
        if not isinstance(value, list):
            raise InputError(f"agent request: {where} must be a list.")
        return tuple(_decode_as(item, v, where) for v in value)
    if kind is Path:
        if not isinstance(value, str) or not value:
            raise InputError(f"agent request: {where} must be a path.")
        return Path(value)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(value)
        except ValueError as exc:
            raise InputError(f"agent request: {where} has an unknown value.") from exc
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _decode_dataclass(kind, value, where)
    if kind is bool:
        if not isinstance(value, bool):
            raise InputError(f"agent request: {where} must be true or false.")
        return value
    if kind is int or kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"agent request: {where} must be a number.")
        return kind(value)
    if kind is str:
        if not isinstance(value, str):
            raise InputError(f"agent request: {where} must be text.")
        return value
    raise InputError(f"agent request: {where} cannot be decoded.")


def _decode_dataclass(cls: type[Any], value: Any, where: str) -> Any:
    if not isinstance(value, Mapping):
        raise InputError(f"agent request: {where} must be an object.")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(value) - known
    if unknown:
        raise InputError(f"agent request: unknown field {sorted(unknown)[0]!r} in {where}.")
    kwargs = {name: _decode_as(hints[name], raw, f"{where}.{name}") for name, raw in value.items()}
    return cls(**kwargs)


def decode_request(value: Any) -> SignRequest:
    """The inverse of :func:`encode_request`; anything unexpected is an InputError."""
    request: SignRequest = _decode_dataclass(SignRequest, value, "request")
    return request


# --------------------------------------------------------------------------- client


@dataclass(frozen=True, slots=True)
class AgentStatus:
    """What a running agent says about itself."""

    pid: int
    signer: str
    locks_at: str
    jobs: int


class AgentClient:
    """A connection to a running agent (see :func:`connect`)."""

    __slots__ = ("_reader", "_sock", "path")

    def __init__(self, sock: socket.socket, path: Path) -> None:
        self._sock = sock
        self._reader = LineReader(sock)
        self.path = path

    def close(self) -> None:
        """Close the connection."""
        self._sock.close()

    def __enter__(self) -> AgentClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ask(self, message: Mapping[str, Any]) -> dict[str, Any]:
        send_line(self._sock, message)
        answer = self._reader.read()
        if answer is None:
            raise OperationError("The agent closed the connection without answering.")
        if answer.get("event") == "error":
            raise OperationError(str(answer.get("message") or "The agent refused the request."))
        return answer

    def status(self) -> AgentStatus:
        """The agent's pid, signer, when it locks itself, and how many files it signs at once."""
        answer = self._ask({"op": "status"})
        return AgentStatus(
            pid=int(answer.get("pid", 0)),
            signer=str(answer.get("signer", "")),
            locks_at=str(answer.get("locks_at", "")),
            jobs=int(answer.get("jobs", 1)),
        )

    def stop(self) -> None:
        """Ask the agent to forget the key and exit."""
        self._ask({"op": "stop"})

    def sign(self, requests: Sequence[SignRequest]) -> Iterator[SignOutcome]:
        """Have the agent sign ``requests``; yields outcomes as files complete."""
        self._sock.settimeout(None)  # signing a large shoot takes as long as it takes
        send_line(self._sock, {"op": "sign", "requests": [encode_request(r) for r in requests]})
        while True:
            message = read_while_signing(self._reader)
            event = message.get("event")
            if event == "end":
                return
            if event == "error":
                raise OperationError(str(message.get("message") or "The agent refused."))
            notes = message.get("notes") or []
            yield SignOutcome(
                source=Path(str(message.get("source", ""))),
                output=Path(str(message.get("output", ""))),
                ok=event == "done",
                notes=tuple(str(n) for n in notes),
                message=message.get("message"),
                hint=message.get("hint"),
                recorded=tuple(str(n) for n in message.get("recorded") or []),
                hints=tuple(str(n) for n in message.get("hints") or []),
            )


def connect(home: Path) -> AgentClient | None:
    """A client of the agent running for ``home``, or None when none answers."""
    sock = connect_socket(home)
    return AgentClient(sock, socket_path(home)) if sock is not None else None
