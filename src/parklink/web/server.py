"""The multi-process web server of ``parklink serve --workers N``: one listening socket per worker.

uvicorn's own ``--workers N`` binds one socket in the parent and shares it: every worker
accepts from the same queue, and the one that wakes first takes every connection waiting
in it. Clients that open their connections together (a browser's six, a proxy's pool, a
load test's sixteen) then land mostly on one process: measured with ``ss`` during
``bench/web_load.py`` runs, 14/2, 15/1 and 12/4 of 16 keep-alive connections, so one
worker's requests queued behind each other while the other worker idled.

Here each worker binds a socket of its own to the same address with ``SO_REUSEPORT``
(Linux), and the kernel spreads new connections over the group's sockets by a hash of
their addresses (16 connections: 9/7, 8/8, 10/6 in the same measurement). The parent keeps
a bound, non-listening socket of the group for as long as it runs, so the address is
reserved (a second server cannot start on it) and a busy port is reported before any
worker starts. A worker that dies is started again; one that fails its start-up stops the
server (it would fail again). SIGINT and SIGTERM stop the workers (gracefully: uvicorn
finishes the requests in flight) and then the parent.

Without ``SO_REUSEPORT`` (not Linux) :func:`serve_workers` falls back to uvicorn's shared socket.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import uvicorn

log = logging.getLogger("parklink.web.server")

#: Seconds a worker must have run for its exit to count as a crash to restart; an earlier
#: exit is a failed start-up (e.g. no schema), which stops the server.
MIN_UPTIME_S = 5.0
#: Seconds the workers have to finish their requests after SIGTERM before they are killed.
GRACEFUL_S = 30.0


def reuse_port_supported() -> bool:
    """True where each worker can have its own socket on one address (Linux ``SO_REUSEPORT``)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def bind_reuse_port(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (``host``, ``port``) in the address's ``SO_REUSEPORT`` group
    (not listening yet; IPv6 when ``host`` is an IPv6 address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


#: TCP states as ``/proc/net/tcp`` writes them.
LISTEN, ESTABLISHED = "0A", "01"


def socket_pids(port: int, state: str = LISTEN) -> list[int]:
    """The processes holding a TCP socket in ``state`` whose local port is ``port``, one
    entry per socket (Linux ``/proc``)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                inodes.add(fields[9])
    return sorted(pid for pid, inode in _socket_inodes() if inode in inodes)


def listening_pids(port: int) -> list[int]:
    """The processes with a listening TCP socket on ``port`` (one entry per socket): with
    :func:`serve_workers`, one per worker that has finished its start-up."""
    return socket_pids(port, LISTEN)


def _socket_inodes() -> list[tuple[int, str]]:
    """(pid, inode) of every socket this user's processes hold (Linux ``/proc``)."""
    held: list[tuple[int, str]] = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fds = list((proc / "fd").iterdir())
        except OSError:  # gone, or not ours to read
            continue
        for fd in fds:
            try:
                link = os.readlink(fd)
            except OSError:  # closed meanwhile (e.g. the descriptor of this listing)
                continue
            if link.startswith("socket:["):
                held.append((int(proc.name), link[8:-1]))
    return held


def _worker_main(config: uvicorn.Config) -> None:
    """A worker process: uvicorn on a socket of its own in the address's group."""
    config.configure_logging()
    sock = bind_reuse_port(config.host, config.port)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches the whole group: the parent stops us
        uvicorn.Server(config).run(sockets=[sock])


def serve_workers(app: str, *, host: str, port: int, workers: int, **options: Any) -> int:
    """Run ``workers`` uvicorn processes of the ASGI ``app`` (an import string) on
    (``host``, ``port``), each with its own listening socket (see the module docstring),
    until SIGINT or SIGTERM; ``options`` go to :class:`uvicorn.Config`. Returns the exit
    status: 0 after a stop, 3 when a worker failed its start-up (uvicorn's code)."""
    if not reuse_port_supported():
        uvicorn.run(app, host=host, port=port, workers=workers, **options)
        return 0
    config = uvicorn.Config(app, host=host, port=port, workers=workers, **options)
    reserve = bind_reuse_port(host, port)  # the address is ours (and a busy port fails here)
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()
    status = 0

    def start() -> tuple[BaseProcess, float]:
        process = context.Process(target=_worker_main, args=(config,), name="parklink-web-worker")
        process.start()
        return process, time.monotonic()

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes = [start() for _ in range(workers)]
    try:
        while not stop.wait(0.5):
            for k, (process, started) in enumerate(processes):
                if process.is_alive():
                    continue
                if time.monotonic() - started < MIN_UPTIME_S:
                    log.error("worker %s exited during its start-up (code %s): stopping the server",
                              process.pid, process.exitcode)
                    status = 3
                    stop.set()
                    break
                log.warning("worker %s exited (code %s): starting another", process.pid, process.exitcode)
                processes[k] = start()
    finally:
        for process, _ in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACEFUL_S
        for process, _ in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        reserve.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
