"""The allocator tuning a signing process applies to itself (provenance.sign.allocator)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from provenance.sign import allocator

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="the knobs exist only in glibc")
def test_applies_on_glibc_and_is_idempotent() -> None:
    # In a fresh interpreter: the test process keeps glibc's defaults.
    code = "from provenance.sign.allocator import reuse_freed_memory as r;print(r(), r())"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["True", "True"]


def test_does_nothing_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocator, "_applied", False)
    monkeypatch.setattr(allocator.sys, "platform", "darwin")
    assert allocator.reuse_freed_memory() is False
    assert allocator._applied is False
