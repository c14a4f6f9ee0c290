"""The signing agent, end to end: start, sign through it, crash isolation, lock, stop, security.

The agent runs as a real background process started by ``provenance agent start``
(loopback-free: a Unix socket in a private runtime folder made for each test).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the agent needs os.fork (POSIX)")

CLI = [sys.executable, "-m", "provenance_cli.app"]


def _run(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture()
def agent_env(identity_home: Path) -> Iterator[dict[str, str]]:
    """An environment with an identity and a short private runtime folder; stops any agent after."""
    runtime = tempfile.mkdtemp(prefix="pa-", dir="/tmp")  # AF_UNIX paths are short
    os.chmod(runtime, 0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime, NO_COLOR="1")
    yield env
    _run(env, "agent", "stop", timeout=30)
    shutil.rmtree(runtime, ignore_errors=True)


def _agent_pid(env: dict[str, str]) -> int:
    status = _run(env, "agent", "status")
    assert status.returncode == 0, status.stderr
    return int(status.stdout.split("(pid ")[1].split(")")[0])


def test_sign_goes_through_the_agent_and_falls_back_after_stop(
    agent_env: dict[str, str], photo: Path, tmp_path: Path
) -> None:
    assert _run(agent_env, "agent", "status").returncode == 1
    started = _run(agent_env, "agent", "start", "--timeout", "10m", "--jobs", "1")
    assert started.returncode == 0, started.stderr
    assert "agent started" in started.stderr

    # No passphrase needed while the agent runs.
    no_secret = {k: v for k, v in agent_env.items() if k != "PROVENANCE_KEY_PASSPHRASE"}
    signed = _run(no_secret, "sign", str(photo), "-o", str(tmp_path / "a.jpg"))
    assert signed.returncode == 0, signed.stderr
    assert "running agent" in signed.stderr and "signed:" in signed.stderr
    verified = _run(agent_env, "verify", str(tmp_path / "a.jpg"), "--format", "json")
    assert verified.returncode == 10, verified.stderr  # intact; the dev root is not trusted here

    # A refused request is one clear sentence, and the agent keeps serving.
    again = _run(no_secret, "sign", str(photo), "-o", str(tmp_path / "a.jpg"))
    assert again.returncode == 1 and "error:" in again.stderr and "Traceback" not in again.stderr
    assert _run(agent_env, "agent", "status").returncode == 0

    stopped = _run(agent_env, "agent", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stderr
    assert _run(agent_env, "agent", "status").returncode == 1
    # Stopped: signing unlocks the key itself again (and needs the passphrase).
    fallback = _run(agent_env, "sign", str(photo), "-o", str(tmp_path / "b.jpg"))
    assert fallback.returncode == 0 and "running agent" not in fallback.stderr
    refused = _run(no_secret, "sign", str(photo), "-o", str(tmp_path / "c.jpg"))
    assert refused.returncode != 0 and "PROVENANCE_KEY_PASSPHRASE" in refused.stderr


def test_a_crashing_sign_costs_one_file_not_the_agent(
    agent_env: dict[str, str], photo: Path, tmp_path: Path
) -> None:
    env = dict(agent_env, PROVENANCE_TEST_CRASH_ON="crashme")
    assert _run(env, "agent", "start", "--jobs", "1").returncode == 0
    crasher = tmp_path / "crashme.jpg"
    shutil.copy(photo, crasher)
    out = tmp_path / "out"
    result = _run(agent_env, "sign", str(crasher), str(photo), "--out-dir", str(out))
    assert result.returncode == 1
    assert "stopped unexpectedly" in result.stderr
    assert (out / photo.name).exists() and not (out / "crashme.jpg").exists()
    assert _run(agent_env, "agent", "status").returncode == 0


def test_the_agent_locks_itself_after_its_timeout(agent_env: dict[str, str]) -> None:
    assert _run(agent_env, "agent", "start", "--timeout", "2s", "--jobs", "1").returncode == 0
    deadline = time.monotonic() + 30
    while _run(agent_env, "agent", "status").returncode == 0:
        assert time.monotonic() < deadline, "the agent did not lock itself"
        time.sleep(0.5)


def test_wrong_passphrase_starts_no_agent(agent_env: dict[str, str]) -> None:
    env = dict(agent_env, PROVENANCE_KEY_PASSPHRASE="not the passphrase")
    result = _run(env, "agent", "start")
    assert result.returncode == 1 and "passphrase" in result.stderr.lower()
    assert _run(agent_env, "agent", "status").returncode == 1


def _memory_holds(pid: int, needle: bytes) -> bool:
    with open(f"/proc/{pid}/maps") as maps:
        regions = [line.split() for line in maps]
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for fields in regions:
            if "r" not in fields[1] or (len(fields) > 5 and fields[5].startswith("[v")):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(start)
                if needle in mem.read(end - start):
                    return True
            except (OSError, OverflowError, ValueError):
                continue
    return False


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs /proc/PID/mem (Linux)")
def test_the_agent_holds_no_passphrase(tmp_path: Path, agent_env: dict[str, str]) -> None:
    from provenance.identity.keys import init_identity

    home = tmp_path / "home2"
    secret = "pp-" + secrets.token_hex(16)
    init_identity(home, "Jane Doe", "Doe Studio", secret.encode())
    env = dict(agent_env, PROVENANCE_HOME=str(home), PROVENANCE_KEY_PASSPHRASE=secret)
    assert _run(env, "agent", "start", "--jobs", "1").returncode == 0
    pid = _agent_pid(env)
    workers = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    try:
        for process in [pid, *workers]:
            if not _memory_holds(process, b"Jane Doe"):  # the scan itself works...
                pytest.skip("this system does not let the test read the agent's memory")
            assert not _memory_holds(process, secret.encode()), f"passphrase found in {process}"
    except PermissionError:
        pytest.skip("reading another process's memory is not permitted here")
    assert secret not in Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    _run(env, "agent", "stop")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another user in a child")
def test_another_user_cannot_use_the_socket(agent_env: dict[str, str], tmp_path: Path) -> None:
    assert _run(agent_env, "agent", "start", "--jobs", "1").returncode == 0
    from provenance.sign.agent_client import socket_path

    os.environ["XDG_RUNTIME_DIR"] = agent_env["XDG_RUNTIME_DIR"]
    try:
        path = socket_path(Path(agent_env["PROVENANCE_HOME"]))
    finally:
        del os.environ["XDG_RUNTIME_DIR"]
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # become "nobody" and try to connect
        verdict = b"?"
        try:
            os.setgid(65534)
            os.setuid(65534)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(path))
                verdict = b"connected"
            except PermissionError:
                verdict = b"refused"
        finally:
            os.write(write_end, verdict)
            os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    assert os.read(read_end, 32) == b"refused"


LAUNCHER = [sys.executable, "-c", "from provenance_cli.launch import main; main()"]


def _launch(
    env: dict[str, str], cwd: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The ``provenance`` console script (its entry point), run in ``cwd``."""
    return subprocess.run(
        [*LAUNCHER, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_launcher_relays_sign_to_the_agent_with_the_same_words(
    agent_env: dict[str, str], photo: Path, tmp_path: Path
) -> None:
    no_secret = {k: v for k, v in agent_env.items() if k != "PROVENANCE_KEY_PASSPHRASE"}
    # No agent: the launcher is the ordinary CLI (which needs the passphrase).
    refused = _launch(no_secret, tmp_path, "sign", "in/" + photo.name, "-o", "x.jpg")
    assert refused.returncode != 0 and "PROVENANCE_KEY_PASSPHRASE" in refused.stderr

    assert _run(agent_env, "agent", "start", "--jobs", "1").returncode == 0
    # Relative paths mean what they mean in the caller's folder, not the agent's.
    relayed = _launch(no_secret, tmp_path, "sign", "in/" + photo.name, "-o", "relayed.jpg")
    assert relayed.returncode == 0, relayed.stderr
    assert (tmp_path / "relayed.jpg").exists()
    assert "running agent" in relayed.stderr and "signed: relayed.jpg\n" in relayed.stderr
    # Word for word what the CLI prints when it parses the command itself.
    parsed_here = _run(no_secret, "sign", str(photo), "-o", str(tmp_path / "here.jpg"))
    assert parsed_here.returncode == 0, parsed_here.stderr
    expected = parsed_here.stderr.replace(str(tmp_path / "here.jpg"), "relayed.jpg")
    assert relayed.stderr == expected
    verified = _run(agent_env, "verify", str(tmp_path / "relayed.jpg"), "--format", "json")
    assert verified.returncode == 10, verified.stderr

    # Usage errors and refusals: the same messages and exit codes as without the agent.
    usage = _launch(no_secret, tmp_path, "sign", "--bogus")
    assert usage.returncode == 2 and "No such option: --bogus" in usage.stderr
    exists = _launch(no_secret, tmp_path, "sign", "in/" + photo.name, "-o", "relayed.jpg")
    assert exists.returncode == 1 and "already exists" in exists.stderr
    assert "Traceback" not in usage.stderr + exists.stderr
    # --no-agent is never relayed: this process unlocks the key (and needs the passphrase).
    local = _launch(no_secret, tmp_path, "sign", "--no-agent", "in/" + photo.name, "-o", "y.jpg")
    assert local.returncode != 0 and "PROVENANCE_KEY_PASSPHRASE" in local.stderr
    assert _run(agent_env, "agent", "status").returncode == 0


def test_a_client_that_leaves_early_never_gets_another_clients_outcome(
    agent_env: dict[str, str], photo: Path, tmp_path: Path
) -> None:
    from provenance.sign.agent_client import connect
    from provenance.sign.request import SignRequest

    assert _run(agent_env, "agent", "start", "--jobs", "1").returncode == 0
    home = Path(agent_env["PROVENANCE_HOME"])
    os.environ["XDG_RUNTIME_DIR"] = agent_env["XDG_RUNTIME_DIR"]
    try:
        first = connect(home)
        assert first is not None
        with first:
            outcomes = first.sign(
                [SignRequest(photo, tmp_path / f"early{i}.jpg") for i in range(3)]
            )
            assert next(outcomes).ok  # then leave with two files still to come
        second = connect(home)
        assert second is not None
        with second:
            got = list(second.sign([SignRequest(photo, tmp_path / "late.jpg")]))
    finally:
        del os.environ["XDG_RUNTIME_DIR"]
    assert [o.output for o in got] == [tmp_path / "late.jpg"] and got[0].ok
