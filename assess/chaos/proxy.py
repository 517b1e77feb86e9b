"""A loopback TCP proxy that injects network faults between a probe and the service it probes.

``FaultProxy`` listens on a loopback port and forwards every connection to one loopback upstream.
Faults are switched at run time from any thread:

* ``set_latency(s)``: every chunk read from either side is held ``s`` seconds before it is written
  on, so a request and its response are each delayed, and one round trip gains at least ``2 * s``.
  Chunks of one direction are delayed one after the other (a response that arrives in three reads
  waits up to ``3 * s``); this models a slow link for request/response probes, not a bandwidth cap.
  A new latency applies from the next chunk, on open connections too.
* ``set_mode(mode)`` decides what happens to connections accepted from then on (open ones keep
  going as they were):

  - ``"pass"``: forward both ways, unchanged;
  - ``"reset"``: accept, then close with a TCP RST (``SO_LINGER`` 0): on Linux the client's
    ``connect()`` or its first read raises ``ConnectionResetError``;
  - ``"drop"``: accept, then close at once without a byte: the client reads end-of-file (or gets a
    reset if it had already sent data the proxy never read);
  - ``"blackhole"``: accept and read everything, forward nothing: the client waits until its
    timeout.
* ``reset_active()`` cuts every open connection with a RST, on both sides.

Safety: the upstream and the listening address must be loopback (127.0.0.0/8 or ::1; "localhost"
is resolved from the hosts file). Anything else raises ``ValueError`` before a socket is made.

Bounds: at most ``max_connections`` open connections (more are reset at once); every blocking
call returns at least every 50 ms to notice ``stop()`` or ``reset_active()``; a connection idle both
ways for ``idle_timeout`` seconds is closed; connecting upstream gives up after ``connect_timeout``.
All threads are daemons named ``assess-proxy-<listen port>-...``; ``stop()`` joins them and closes
every socket.
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import math
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Literal, Self, get_args

Mode = Literal["pass", "reset", "drop", "blackhole"]
MODES: tuple[Mode, ...] = get_args(Mode)

THREAD_PREFIX = "assess-proxy"
"""Every thread of a proxy is named ``f"{THREAD_PREFIX}-{listen port}-..."``."""

_POLL_S = 0.05  # why: blocking calls time out this often so that stop() and cuts are seen quickly
_CHUNK = 65536
_LINGER_RESET = struct.pack("ii", 1, 0)  # l_onoff=1, l_linger=0: close() sends RST


@dataclass(frozen=True)
class ProxyStats:
    """A snapshot of a proxy's counters since it started."""

    accepted: int = 0
    """Connections accepted by the listener, whatever the mode."""
    forwarded: int = 0
    """Connections joined to the upstream (pass mode, upstream connect succeeded)."""
    reset: int = 0
    """Connections the proxy closed with a RST: reset mode, reset_active, stop, over the limit, upstream
    unreachable, or a reset from the other side passed on."""
    dropped: int = 0
    """Connections closed at once in drop mode."""
    blackholed: int = 0
    """Connections accepted in blackhole mode."""
    over_limit: int = 0
    """Connections reset because max_connections were already open (also counted in reset)."""
    upstream_failures: int = 0
    """Connections whose upstream connect failed (also counted in reset)."""
    bytes_to_upstream: int = 0
    """Bytes written to the upstream."""
    bytes_to_client: int = 0
    """Bytes written to clients."""
    bytes_swallowed: int = 0
    """Bytes read from clients in blackhole mode and thrown away."""
    active: int = 0
    """Connections open when the snapshot was taken."""


def loopback_address(host: str) -> str:
    """Return ``host`` as a loopback IP literal; raise ``ValueError`` for anything that is not loopback.

    IP literals are checked as given. "localhost" is resolved and every answer must be loopback
    (IPv4 preferred). Other names are refused without a lookup, so no name ever reaches DNS.
    """
    if host.lower() != "localhost":
        return _require_loopback(host, host)
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ValueError(f"cannot resolve {host!r}: {exc}") from exc
    addresses = sorted({str(info[4][0]) for info in infos}, key=lambda address: ":" in address)
    if not addresses:
        raise ValueError(f"{host!r} resolves to no address")
    checked = [_require_loopback(address, host) for address in addresses]  # every answer, not just the first
    return checked[0]


def _require_loopback(address: str, asked: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if ip is None or not ip.is_loopback:
        raise ValueError(f"{asked!r} is not a loopback address: only 127.0.0.0/8, ::1 and 'localhost' are allowed")
    return str(ip)


def _port(port: int, *, allow_zero: bool) -> int:
    if not isinstance(port, int) or not (0 if allow_zero else 1) <= port <= 65535:
        raise ValueError(f"invalid TCP port {port!r}")
    return port


def _close_with_reset(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    sock.close()


class _Link:
    """One client connection and, in pass mode, its upstream connection."""

    def __init__(self, client: socket.socket, name: str) -> None:
        self.client = client
        self.upstream: socket.socket | None = None
        self.name = name
        self.closing = threading.Event()
        self.abort = False
        self.last_activity = time.monotonic()
        self.thread: threading.Thread | None = None

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def idle_for(self) -> float:
        return time.monotonic() - self.last_activity

    def cut(self, *, abort: bool) -> None:
        if abort:
            self.abort = True  # set before closing, so the owner thread sees it when it wakes
        self.closing.set()

    def close(self) -> None:
        for sock in (self.client, self.upstream):
            if sock is None:
                continue
            if self.abort:
                _close_with_reset(sock)
            else:
                sock.close()


class FaultProxy:
    """A TCP proxy from a loopback port to a loopback upstream, injecting latency, resets and outages.

    Use ``start()``/``stop()`` or ``with FaultProxy(...) as proxy:``. Raises ``ValueError`` at
    construction for a non-loopback address or an invalid port.
    """

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
        *,
        max_connections: int = 64,
        idle_timeout: float = 60.0,
        connect_timeout: float = 2.0,
    ) -> None:
        self._upstream = (loopback_address(upstream_host), _port(upstream_port, allow_zero=False))
        self._listen = (loopback_address(listen_host), _port(listen_port, allow_zero=True))
        if max_connections < 1 or idle_timeout <= 0 or connect_timeout <= 0:
            raise ValueError("max_connections, idle_timeout and connect_timeout must be positive")
        self._max_connections = max_connections
        self._idle_timeout = idle_timeout
        self._connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._mode: Mode = "pass"
        self._latency = 0.0
        self._stats = ProxyStats()
        self._links: set[_Link] = set()
        self._serial = itertools.count(1)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._address: tuple[str, int] | None = None

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> tuple[str, int]:
        """Bind, listen and start the accepting thread. Returns the bound (host, port).

        Raises ``RuntimeError`` if called twice (a proxy runs once), ``OSError`` if the bind fails.
        """
        if self._thread is not None:
            raise RuntimeError("FaultProxy.start() called twice; make a new proxy")
        family = socket.AF_INET6 if ":" in self._listen[0] else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(self._listen)
            listener.listen(self._max_connections)
            listener.settimeout(_POLL_S)
        except OSError:
            listener.close()
            raise
        host, port = listener.getsockname()[:2]
        self._address = (str(host), int(port))
        self._thread = threading.Thread(
            target=self._accept_loop, args=(listener,), name=f"{self._thread_name()}-listener", daemon=True
        )
        self._thread.start()
        return self._address

    def stop(self, timeout: float | None = None) -> bool:
        """Close the listener and reset every open connection; wait for all proxy threads.

        Waits at most ``timeout`` seconds (default: connect_timeout + 1). Returns True when every
        thread has ended and every socket is closed, False if something was still running.
        """
        deadline = time.monotonic() + (self._connect_timeout + 1.0 if timeout is None else timeout)
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(max(0.0, deadline - time.monotonic()))
        listener_done = self._thread is None or not self._thread.is_alive()
        return self._cut_all(deadline) and listener_done

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port). Raises ``RuntimeError`` before ``start()``."""
        if self._address is None:
            raise RuntimeError("FaultProxy not started")
        return self._address

    @property
    def upstream(self) -> tuple[str, int]:
        """The (host, port) connections are forwarded to."""
        return self._upstream

    # -- faults -----------------------------------------------------------------------------------

    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def latency(self) -> float:
        return self._latency

    def set_mode(self, mode: Mode) -> None:
        """Set what happens to connections accepted from now on. Raises ``ValueError`` for an unknown mode."""
        if mode not in MODES:
            raise ValueError(f"unknown proxy mode {mode!r}; expected one of {', '.join(MODES)}")
        with self._lock:
            self._mode = mode

    def set_latency(self, seconds: float) -> None:
        """Hold every chunk, each direction, ``seconds`` before writing it on. Raises ``ValueError`` if negative."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"latency must be a finite number of seconds >= 0, not {seconds!r}")
        with self._lock:
            self._latency = float(seconds)

    def reset_active(self, timeout: float | None = None) -> int:
        """Cut every open connection with a RST on both sides; wait (bounded) until they are closed.

        Returns how many connections were cut.
        """
        deadline = time.monotonic() + (self._connect_timeout + 1.0 if timeout is None else timeout)
        with self._lock:
            count = len(self._links)
        self._cut_all(deadline)
        return count

    def stats(self) -> ProxyStats:
        """A snapshot of the counters."""
        with self._lock:
            return replace(self._stats, active=len(self._links))

    # -- internals --------------------------------------------------------------------------------

    def _thread_name(self) -> str:
        port = self._address[1] if self._address else 0
        return f"{THREAD_PREFIX}-{port}"

    def _count(self, **increments: int) -> None:
        with self._lock:
            values = {name: getattr(self._stats, name) + n for name, n in increments.items()}
            self._stats = replace(self._stats, **values)

    def _cut_all(self, deadline: float) -> bool:
        with self._lock:
            links = list(self._links)
        for link in links:
            link.cut(abort=True)
        for link in links:
            if link.thread is not None:
                link.thread.join(max(0.0, deadline - time.monotonic()))
        return not any(link.thread is not None and link.thread.is_alive() for link in links)

    def _accept_loop(self, listener: socket.socket) -> None:
        with listener:
            while not self._stopping.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:  # e.g. out of file descriptors: back off instead of spinning
                    self._stopping.wait(_POLL_S)
                    continue
                self._admit(client)

    def _admit(self, client: socket.socket) -> None:
        with self._lock:
            mode = self._mode
            full = len(self._links) >= self._max_connections
            link = None
            if mode in ("pass", "blackhole") and not full:
                link = _Link(client, f"{self._thread_name()}-conn{next(self._serial)}")
                self._links.add(link)
        # Count before closing: a client that sees the close may read the counters at once.
        self._count(accepted=1)
        if mode == "drop":
            self._count(dropped=1)
            client.close()
        elif link is None:
            self._count(reset=1, over_limit=int(mode != "reset"))
            _close_with_reset(client)
        else:
            client.settimeout(_POLL_S)
            target = self._swallow if mode == "blackhole" else self._forward
            link.thread = threading.Thread(target=self._run_link, args=(link, target), name=link.name, daemon=True)
            link.thread.start()

    def _run_link(self, link: _Link, target: Callable[[_Link], None]) -> None:
        try:
            target(link)
        finally:
            if link.abort:
                self._count(reset=1)
            link.close()
            with self._lock:
                self._links.discard(link)

    def _swallow(self, link: _Link) -> None:
        self._count(blackholed=1)
        while data := self._receive(link, link.client):
            link.touch()
            self._count(bytes_swallowed=len(data))

    def _forward(self, link: _Link) -> None:
        try:
            upstream = socket.create_connection(self._upstream, timeout=self._connect_timeout)
        except OSError:
            link.abort = True
            self._count(upstream_failures=1)
            return
        upstream.settimeout(_POLL_S)
        link.upstream = upstream
        if link.closing.is_set():
            return
        self._count(forwarded=1)
        back = threading.Thread(
            target=self._pump,
            args=(link, upstream, link.client, "bytes_to_client"),
            name=f"{link.name}-back",
            daemon=True,
        )
        back.start()
        self._pump(link, link.client, upstream, "bytes_to_upstream")
        back.join()  # bounded: the back pump ends on EOF, on error, when cut, or after idle_timeout

    def _pump(self, link: _Link, src: socket.socket, dst: socket.socket, counter: str) -> None:
        """Copy src to dst chunk by chunk, with the current latency, until EOF, a cut or an error."""
        try:
            while (data := self._receive(link, src)) is not None:
                if not data:
                    dst.shutdown(socket.SHUT_WR)  # pass the half-close on
                    return
                link.touch()
                latency = self._latency
                if latency > 0 and link.closing.wait(latency):
                    return
                if not self._send(link, dst, data):
                    return
                self._count(**{counter: len(data)})
        except OSError:
            link.cut(abort=True)  # a reset or error on one side is passed on as a reset to the other

    def _receive(self, link: _Link, src: socket.socket) -> bytes | None:
        """The next chunk (b"" at EOF), or None when the link is cut or idle too long."""
        while not link.closing.is_set():
            try:
                return src.recv(_CHUNK)
            except TimeoutError:
                if link.idle_for() > self._idle_timeout:
                    link.cut(abort=False)
        return None

    def _send(self, link: _Link, dst: socket.socket, data: bytes) -> bool:
        """Write all of data; False when the link is cut or the peer stops reading for idle_timeout."""
        view = memoryview(data)
        while view:
            if link.closing.is_set():
                return False
            try:
                sent = dst.send(view)
            except TimeoutError:
                if link.idle_for() > self._idle_timeout:
                    link.cut(abort=False)
                continue
            view = view[sent:]
            link.touch()
        return True
