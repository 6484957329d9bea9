"""Slow clients cannot hold connections: sockets that never finish their request head are
closed after DSRS_HEADER_TIMEOUT_S, a body that stalls gets 408 after
DSRS_BODY_IDLE_TIMEOUT_S, and the service keeps answering meanwhile (loopback, a bounded
number of sockets)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

SOCKETS = 50
DEADLINE_S = 60.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    from dsrs_api.app import create_app
    from dsrs_api.background_server import running_server
    from dsrs_settings import Settings

    settings = Settings(storage_dir=tmp_path / "var", header_timeout_s=1.0, body_idle_timeout_s=1.0)
    with running_server(create_app(settings)) as base_url:
        port = base_url.rsplit(":", 1)[1]
        yield base_url, int(port)


def wait_until_closed(sockets: list[socket.socket]) -> list[bytes]:
    """What the server sent on each socket before it closed it (polled with a deadline)."""
    received = [b""] * len(sockets)
    open_ = set(range(len(sockets)))
    for sock in sockets:
        sock.setblocking(False)
    deadline = time.monotonic() + DEADLINE_S
    while open_ and time.monotonic() < deadline:
        for i in list(open_):
            try:
                while chunk := sockets[i].recv(65536):
                    received[i] += chunk
                open_.discard(i)  # b"": the server closed it
            except BlockingIOError:
                pass
        time.sleep(0.05)
    assert not open_, f"{len(open_)} sockets still open after {DEADLINE_S} s"
    return received


def test_sockets_that_never_finish_their_head_are_closed(server: tuple[str, int]) -> None:
    base_url, port = server
    sockets = []
    try:
        for i in range(SOCKETS):
            sock = socket.create_connection(("127.0.0.1", port))
            if i % 2:  # half send part of a head, half send nothing at all
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            sockets.append(sock)
        assert httpx.get(f"{base_url}/healthz", timeout=30).status_code == 200
        assert all(answer == b"" for answer in wait_until_closed(sockets))
    finally:
        for sock in sockets:
            sock.close()


def test_a_stalled_body_gets_408(server: tuple[str, int]) -> None:
    base_url, port = server
    sock = socket.create_connection(("127.0.0.1", port))
    try:
        sock.sendall(
            b"POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"name": '
        )
        (answer,) = wait_until_closed([sock])
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert b"DSRS_BODY_IDLE_TIMEOUT_S" in answer
    finally:
        sock.close()
    assert httpx.get(f"{base_url}/healthz", timeout=30).status_code == 200


def test_keep_alive_requests_within_the_limits_are_served(server: tuple[str, int]) -> None:
    base_url, _ = server
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
