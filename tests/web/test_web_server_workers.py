"""``parklink serve --workers N`` (:mod:`parklink.web.server`): one listening socket per
worker (``SO_REUSEPORT``), so connections opened together spread over the workers; a
worker that dies is replaced; SIGTERM stops them all; a busy port or a worker that cannot
start is a clear failure."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from parklink.web.server import (
    ESTABLISHED,
    bind_reuse_port,
    listening_pids,
    reuse_port_supported,
    serve_workers,
    socket_pids,
)

pytestmark = pytest.mark.skipif(not reuse_port_supported(), reason="SO_REUSEPORT (Linux) only")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _connections_per_pid(port: int) -> Counter[int]:
    """Established TCP connections whose local port is ``port``, by the process holding them."""
    return Counter(socket_pids(port, ESTABLISHED))


def _wait_workers(port: int, n: int, proc: subprocess.Popen[bytes], timeout: float = 120,
                  gone: int | None = None) -> set[int]:
    deadline = time.monotonic() + timeout
    while True:
        pids = set(listening_pids(port))
        if len(pids) == n and gone not in pids:
            return pids
        assert proc.poll() is None, "the server stopped"
        assert time.monotonic() < deadline, f"{n} workers did not start listening: {pids}"
        time.sleep(0.2)


def test_sockets_of_one_group_share_an_address_others_are_refused() -> None:
    port = _free_port()
    first, second = bind_reuse_port("127.0.0.1", port), bind_reuse_port("127.0.0.1", port)
    try:
        first.listen()
        second.listen()
        assert listening_pids(port) == [os.getpid(), os.getpid()]
        with socket.socket() as plain, pytest.raises(OSError):
            plain.bind(("127.0.0.1", port))  # not in the group: the address is taken
    finally:
        first.close()
        second.close()
    assert listening_pids(port) == []


def test_workers_share_connections_are_replaced_and_stop_together(web_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PARKLINK_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen([sys.executable, "-c", "from parklink.cli import main; main()", "serve", "--workers", "2",
                             "--host", "127.0.0.1", "--port", str(port), "--database", web_url],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    connections: list[http.client.HTTPConnection] = []
    try:
        workers = _wait_workers(port, 2, proc)
        for _ in range(32):  # opened together, kept alive (as a browser or a load test does)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.connect()
            connections.append(conn)
        for conn in connections:
            conn.request("GET", "/api/health")
            response = conn.getresponse()
            assert response.status == 200
            response.read()
        held = _connections_per_pid(port)  # the server ends of the 32 connections
        assert set(held) == workers and sum(held.values()) == 32
        # hashed over two sockets: each holds at least 4 of 32 except with probability ~1e-6
        assert min(held.values()) >= 4, held
        for conn in connections:
            conn.close()
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)  # a worker dies: another takes its place
        replaced = _wait_workers(port, 2, proc, gone=victim)
        assert victim not in replaced and len(replaced & workers) == 1
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/parks?page_size=5")
        assert conn.getresponse().status == 200
        conn.close()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
        assert b"Traceback" not in err
        assert listening_pids(port) == []
        assert not any(Path(f"/proc/{pid}").exists() for pid in replaced)
    finally:
        for conn in connections:
            conn.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_busy_port_is_a_clear_error(web_url: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        env = {**os.environ, "PARKLINK_DATA_DIR": str(tmp_path / "data")}
        done = subprocess.run([sys.executable, "-c", "from parklink.cli import main; main()", "serve", "--workers",
                               "2", "--port", str(port), "--database", web_url],
                              env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr


def test_a_worker_that_cannot_start_stops_the_server() -> None:
    """An application that fails to load (here: no such module) would fail again on every
    restart: the server stops with uvicorn's start-up failure status instead."""
    started = time.monotonic()
    status = serve_workers("parklink.no_such_module:app", host="127.0.0.1", port=_free_port(), workers=2,
                           log_level="critical")
    assert status == 3
    assert time.monotonic() - started < 60
