"""The agent's wire format and its same-user check, without starting an agent."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from provenance.errors import InputError
from provenance.models import TrainingPreference
from provenance.sign.agent_client import LineReader, decode_request, encode_request, send_line
from provenance.sign.request import EditKind, EditSpec, SignRequest


def _request() -> SignRequest:
    return SignRequest(
        source=Path("in/a.jpg"),
        output=Path("out/a.jpg"),
        parent=Path("in/parent.jpg"),
        edits=(
            EditSpec(EditKind.AI_EDIT, "Replaced the sky", tool="GenFill/2.1", mask=Path("m.png")),
            EditSpec(EditKind.EDIT, "Colour grade"),
        ),
        training=TrainingPreference.ALLOWED,
        force=True,
    )


def test_a_request_survives_the_wire_with_absolute_paths() -> None:
    request = _request()
    decoded = decode_request(encode_request(request))
    assert decoded.source == request.source.absolute()
    assert decoded.parent == request.parent.absolute()  # type: ignore[union-attr]
    assert decoded.edits[0].mask == Path("m.png").absolute()
    assert decoded.edits[0].kind is EditKind.AI_EDIT and decoded.edits[1].tool is None
    assert decoded.training is TrainingPreference.ALLOWED and decoded.force is True


@pytest.mark.parametrize(
    "change",
    [
        {"surprise": 1},
        {"force": "yes"},
        {"source": 3},
        {"edits": [{"kind": "magic", "description": "x"}]},
        {"training": "whatever"},
        {"max_bytes": True},
    ],
)
def test_unexpected_fields_and_types_are_refused(change: dict[str, object]) -> None:
    encoded = encode_request(_request())
    encoded.update(change)
    with pytest.raises(InputError):
        decode_request(encoded)


def test_lines_round_trip_over_a_socket() -> None:
    left, right = socket.socketpair()
    with left, right:
        send_line(left, {"op": "status"})
        send_line(left, {"op": "sign", "requests": []})
        reader = LineReader(right)
        assert reader.read() == {"op": "status"}
        assert reader.read() == {"op": "sign", "requests": []}
        left.close()
        assert reader.read() is None


def test_another_users_connection_is_refused() -> None:
    from provenance.sign.agent import _Session

    session = _Session(pool=None, signer="x", locks_at=0.0)  # type: ignore[arg-type]
    left, right = socket.socketpair()
    with left, right:
        session.serve(right, uid_of=lambda _conn: 12345)
        answer = LineReader(left).read()
    assert answer is not None and answer["event"] == "error" and "own user" in answer["message"]
