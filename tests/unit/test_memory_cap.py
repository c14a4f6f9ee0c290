"""provenance.memory_cap: the ceiling's size, where it applies, and that it is put back."""

from __future__ import annotations

import io
import sys
import threading

import pytest

from provenance import memory_cap
from provenance.memory_cap import HEADROOM_BYTES, PER_INPUT_BYTE, ceiling_for, input_size

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_DATA")


def test_ceiling_grows_with_the_input() -> None:
    assert ceiling_for(100, 0) == 100 + HEADROOM_BYTES
    assert ceiling_for(100, 10) == 100 + HEADROOM_BYTES + 10 * PER_INPUT_BYTE
    assert ceiling_for(100, -5) == 100 + HEADROOM_BYTES


def test_input_size_counts_what_is_left_and_the_sidecar() -> None:
    stream = io.BytesIO(b"x" * 100)
    stream.seek(30)
    assert input_size(stream, b"abc") == 73
    assert stream.tell() == 30  # left where it was


@linux_only
def test_the_ceiling_is_set_inside_and_put_back() -> None:
    import resource

    before = resource.getrlimit(resource.RLIMIT_DATA)
    with memory_cap.data_ceiling(1000):
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        assert soft != resource.RLIM_INFINITY and hard == before[1]
        with pytest.raises(MemoryError):
            bytearray(soft + 1)
    assert resource.getrlimit(resource.RLIMIT_DATA) == before


@linux_only
def test_a_stricter_limit_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    import resource

    calls: list[object] = []
    monkeypatch.setattr(resource, "getrlimit", lambda _which: (1 << 20, resource.RLIM_INFINITY))
    monkeypatch.setattr(resource, "setrlimit", lambda *args: calls.append(args))
    with memory_cap.data_ceiling(1000):
        pass
    assert calls == []


@linux_only
def test_no_ceiling_from_another_thread() -> None:
    import resource

    seen: list[tuple[int, int]] = []

    def read() -> None:
        with memory_cap.data_ceiling(1000):
            seen.append(resource.getrlimit(resource.RLIMIT_DATA))

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert seen == [resource.getrlimit(resource.RLIMIT_DATA)]
