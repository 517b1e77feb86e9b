"""The fault proxy, measured from outside: what a client sees through it in each mode."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import os
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from assess.chaos.proxy import THREAD_PREFIX, FaultProxy, loopback_address

pytestmark = pytest.mark.timeout(30)

MakeProxy = Callable[..., FaultProxy]


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(5)
        with contextlib.suppress(ConnectionResetError):  # the proxy passes resets on, by design
            while data := self.request.recv(65536):
                self.request.sendall(data)


class _Hello(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so two requests share one proxied connection

    def do_GET(self) -> None:
        body = f"hello {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(server: socketserver.TCPServer) -> Iterator[tuple[str, int]]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield "127.0.0.1", server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def echo_server() -> Iterator[tuple[str, int]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    yield from _serve(server)


@pytest.fixture
def http_server() -> Iterator[tuple[str, int]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.daemon_threads = True
    yield from _serve(server)


@pytest.fixture
def make_proxy() -> Iterator[MakeProxy]:
    proxies: list[FaultProxy] = []

    def make(upstream: tuple[str, int], **kwargs: object) -> FaultProxy:
        proxy = FaultProxy(upstream[0], upstream[1], **kwargs)  # type: ignore[arg-type]
        proxy.start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        assert proxy.stop()


def _connect(proxy: FaultProxy, timeout: float = 2.0) -> socket.socket:
    return socket.create_connection(proxy.address, timeout=timeout)


def _round_trip(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(payload)
    received = b""
    while len(received) < len(payload):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def _timed_echo(proxy: FaultProxy, payload: bytes = b"ping") -> float:
    with _connect(proxy) as sock:
        started = time.perf_counter()
        assert _round_trip(sock, payload) == payload
        return time.perf_counter() - started


def _assert_reset_at_once(proxy: FaultProxy) -> None:
    # Linux reports the proxy's RST from connect() when it lands before connect() returns, else from
    # the first read: the exception is ConnectionResetError either way.
    with pytest.raises(ConnectionResetError), _connect(proxy) as sock:
        sock.recv(1)


def _wait_until(condition: Callable[[], bool], timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _proxy_threads(proxy: FaultProxy) -> list[str]:
    prefix = f"{THREAD_PREFIX}-{proxy.address[1]}-"
    return [t.name for t in threading.enumerate() if t.name.startswith(prefix)]


# -- pass -----------------------------------------------------------------------------------------


def test_pass_forwards_bytes_unchanged_both_ways(echo_server: tuple[str, int], make_proxy: MakeProxy) -> None:
    proxy = make_proxy(echo_server)
    payload = bytes(range(256)) * 2048  # 512 KiB, every byte value, several chunks each way
    with _connect(proxy) as sock:
        assert _round_trip(sock, b"hello") == b"hello"
        assert _round_trip(sock, payload) == payload
    total = len(payload) + 5
    # Each direction counts just after its write, so the client may have every byte before the count does.
    assert _wait_until(lambda: (proxy.stats().bytes_to_upstream, proxy.stats().bytes_to_client) == (total, total))
    stats = proxy.stats()
    assert (stats.accepted, stats.forwarded, stats.reset) == (1, 1, 0)
    assert stats.bytes_to_upstream == stats.bytes_to_client == total


def test_pass_serves_an_http_get(http_server: tuple[str, int], make_proxy: MakeProxy) -> None:
    proxy = make_proxy(http_server)
    conn = http.client.HTTPConnection(*proxy.address, timeout=2)
    try:
        for path in ("/a", "/b"):  # two requests on one kept-alive connection
            conn.request("GET", path)
            response = conn.getresponse()
            assert (response.status, response.read()) == (200, f"hello {path}".encode())
    finally:
        conn.close()
    assert proxy.stats().forwarded == 1


# -- latency --------------------------------------------------------------------------------------


def test_latency_delays_each_direction(echo_server: tuple[str, int], make_proxy: MakeProxy) -> None:
    proxy = make_proxy(echo_server)
    baseline = _timed_echo(proxy)
    proxy.set_latency(0.2)
    delayed = _timed_echo(proxy)
    # The request and the echo are each held 0.2 s: at least 0.4 s. The upper bound only guards
    # against a delay applied many times; it leaves plenty of room for a loaded machine.
    assert 0.4 <= delayed < 1.5
    assert baseline < 0.2
    proxy.set_latency(0)
    assert _timed_echo(proxy) < 0.2


def test_latency_change_applies_to_an_open_connection(echo_server: tuple[str, int], make_proxy: MakeProxy) -> None:
    proxy = make_proxy(echo_server)
    with _connect(proxy) as sock:
        assert _round_trip(sock, b"a") == b"a"
        proxy.set_latency(0.15)
        started = time.perf_counter()
        assert _round_trip(sock, b"b") == b"b"
        assert time.perf_counter() - started >= 0.3


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf")])
def test_latency_must_be_finite_and_not_negative(echo_server: tuple[str, int], bad: float) -> None:
    with pytest.raises(ValueError, match="latency"):
        FaultProxy(*echo_server).set_latency(bad)


# -- failure modes --------------------------------------------------------------------------------


def test_reset_mode_resets_new_connections(echo_server: tuple[str, int], make_proxy: MakeProxy) -> None:
    proxy = make_proxy(echo_server)
    proxy.set_mode("reset")
    _assert_reset_at_once(proxy)
    stats = proxy.stats()
    assert (stats.accepted, stats.reset, stats.forwarded) == (1, 1, 0)


def test_drop_mode_closes_at_once_without_a_byte(echo_server: tuple[str, int], make_proxy: MakeProxy) -> None:
    proxy = make_proxy(echo_server)
    proxy.set_mode("drop")
    with _connect(proxy) as sock:
        assert sock.recv(1) == b""
    stats = proxy.stats()
    assert (stats.accepted, stats.dropped, stats.forwarded) == (1, 1, 0)


def test_blackhole_mode_swallows_and_never_answers(echo_server: tuple[str, int], make_proxy: MakeProxy) -> None:
    proxy = make_proxy(echo_server)
    proxy.set_mode("blackhole")
    with _connect(proxy, timeout=0.5) as sock:
        sock.sendall(b"anyone there?")
        started = time.perf_counter()
        with pytest.raises(socket.timeout):
            sock.recv(1)
        assert time.perf_counter() - started >= 0.45
    stats = proxy.stats()
    assert (stats.blackholed, stats.forwarded, stats.bytes_swallowed, stats.bytes_to_upstream) == (1, 0, 13, 0)


def test_unknown_mode_is_refused(echo_server: tuple[str, int]) -> None:
    with pytest.raises(ValueError, match="unknown proxy mode"):
        FaultProxy(*echo_server).set_mode("partition")  # type: ignore[arg-type]


def test_mode_switch_applies_to_new_connections_only(echo_server: tuple[str, int], make_proxy: MakeProxy) -> None:
    proxy = make_proxy(echo_server)
    with _connect(proxy) as kept:
        assert _round_trip(kept, b"one") == b"one"
        proxy.set_mode("reset")
        _assert_reset_at_once(proxy)
        assert _round_trip(kept, b"two") == b"two"  # the open connection is untouched
        proxy.set_mode("pass")
        assert _timed_echo(proxy) < 1.0


def test_reset_active_cuts_open_connections(echo_server: tuple[str, int], make_proxy: MakeProxy) -> None:
    proxy = make_proxy(echo_server)
    with _connect(proxy) as first, _connect(proxy) as second:
        assert _round_trip(first, b"x") == b"x"
        assert _round_trip(second, b"y") == b"y"
        assert proxy.reset_active() == 2
        for sock in (first, second):
            with pytest.raises(ConnectionResetError):
                sock.recv(1)
    assert _timed_echo(proxy) < 1.0  # the proxy itself still serves
    assert _wait_until(lambda: proxy.stats().active == 0)
    assert proxy.stats().reset == 2


def test_unreachable_upstream_resets_the_client(make_proxy: MakeProxy) -> None:
    with socket.socket() as placeholder:  # a loopback port nobody listens on
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
        proxy = make_proxy(("127.0.0.1", port))
        _assert_reset_at_once(proxy)
    stats = proxy.stats()
    assert (stats.upstream_failures, stats.reset) == (1, 1)


def test_connections_over_the_limit_are_reset(echo_server: tuple[str, int], make_proxy: MakeProxy) -> None:
    proxy = make_proxy(echo_server, max_connections=1)
    with _connect(proxy) as first:
        assert _round_trip(first, b"x") == b"x"
        _assert_reset_at_once(proxy)
        assert _round_trip(first, b"y") == b"y"
    assert proxy.stats().over_limit == 1


def test_idle_connections_are_closed(echo_server: tuple[str, int], make_proxy: MakeProxy) -> None:
    proxy = make_proxy(echo_server, idle_timeout=0.2)
    with _connect(proxy) as sock:
        assert _round_trip(sock, b"x") == b"x"
        assert sock.recv(1) == b""  # within 2 s, else socket.timeout fails the test


# -- safety ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("upstream", "listen"),
    [
        ("10.0.0.1", "127.0.0.1"),
        ("192.168.1.1", "127.0.0.1"),
        ("example.org", "127.0.0.1"),
        ("::ffff:10.0.0.1", "127.0.0.1"),
        ("127.0.0.1", "0.0.0.0"),
        ("127.0.0.1", "::"),
        ("127.0.0.1", ""),
    ],
)
def test_non_loopback_addresses_are_refused_before_any_socket(
    upstream: str, listen: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the proxy touched the network before refusing")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    with pytest.raises(ValueError, match="not a loopback address"):
        FaultProxy(upstream, 80, listen_host=listen)


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", {"127.0.0.1"}), ("127.1.2.3", {"127.1.2.3"}), ("::1", {"::1"}), ("LocalHost", {"127.0.0.1", "::1"})],
)
def test_loopback_addresses_are_accepted(host: str, expected: set[str]) -> None:
    assert loopback_address(host) in expected


@pytest.mark.parametrize("port", [0, -1, 65536])
def test_invalid_upstream_port_is_refused(port: int) -> None:
    with pytest.raises(ValueError, match="port"):
        FaultProxy("127.0.0.1", port)


# -- life cycle -----------------------------------------------------------------------------------


def test_stop_closes_listener_connections_and_threads(echo_server: tuple[str, int]) -> None:
    fds_before = len(os.listdir("/proc/self/fd"))
    proxy = FaultProxy(*echo_server)
    host, port = proxy.start()
    open_sock = _connect(proxy)
    assert _round_trip(open_sock, b"x") == b"x"
    proxy.set_mode("blackhole")
    hole = _connect(proxy)
    hole.sendall(b"y")
    assert _wait_until(lambda: proxy.stats().bytes_swallowed == 1)
    assert len(_proxy_threads(proxy)) == 4  # listener, one link with its back pump, one blackhole

    started = time.perf_counter()
    assert proxy.stop(timeout=2)
    assert time.perf_counter() - started < 1.0
    assert _proxy_threads(proxy) == []
    for sock in (open_sock, hole):
        with sock, pytest.raises(ConnectionResetError):
            sock.recv(1)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=1).close()
    # The echo server closes its side when it reads the reset; give its threads a moment.
    assert _wait_until(lambda: len(os.listdir("/proc/self/fd")) <= fds_before)
    assert proxy.stop()  # a second stop is harmless


def test_context_manager_starts_and_stops(echo_server: tuple[str, int]) -> None:
    with FaultProxy(*echo_server) as proxy:
        assert _timed_echo(proxy) < 1.0
        names = _proxy_threads(proxy)
    assert names
    assert _proxy_threads(proxy) == []
    with pytest.raises(RuntimeError, match="twice"):
        proxy.start()


def test_address_before_start_is_an_error(echo_server: tuple[str, int]) -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = FaultProxy(*echo_server).address


def test_ipv6_loopback(make_proxy: MakeProxy) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    serving = _serve(server)
    upstream = next(serving)
    try:
        try:
            proxy = make_proxy(upstream, listen_host="::1")
        except OSError:
            pytest.skip("::1 cannot be bound here")
        assert proxy.address[0] == "::1"
        assert _timed_echo(proxy) < 1.0
    finally:
        next(serving, None)
