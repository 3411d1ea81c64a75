"""`serve`'s own HTTP server (server/http.py) on 127.0.0.1, spoken to over raw sockets."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from tests.integration.ca.conftest import Server


def exchange(server: Server, raw: bytes) -> bytes:
    """Send ``raw``, half-close, and read everything the server answers until it closes."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_two_pipelined_requests_on_one_connection_get_two_answers(server: Server) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = exchange(server, request + request)
    assert answer.count(b"HTTP/1.1 200 OK") == 2
    assert answer.count(b"ok\n") == 2


def test_http10_request_is_answered_and_closed(server: Server) -> None:
    answer = exchange(server, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK") and b"connection: close" in answer.lower()


def test_garbage_request_line_is_a_bad_request(server: Server) -> None:
    assert exchange(server, b"\x16\x03\x01 not http\r\n\r\n").startswith(b"HTTP/1.1 400")


def test_wrong_method_on_a_known_path_is_method_not_allowed(server: Server) -> None:
    answer = exchange(server, b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 405")


def test_unknown_path_is_not_found(server: Server) -> None:
    assert exchange(server, b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 404")


def test_oversized_headers_are_refused(server: Server) -> None:
    huge = b"X-Filler: " + b"a" * 20_000 + b"\r\n"
    answer = exchange(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + huge + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431")


def test_every_answer_carries_a_date(server: Server) -> None:
    assert b"\r\ndate: " in exchange(server, b"GET /healthz HTTP/1.0\r\n\r\n").lower()


def read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_idle_keep_alive_connection_is_closed_without_an_answer(server: Server) -> None:
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = read_until_closed(sock)  # returns once the server gives up on the idle line
    assert answer.count(b"HTTP/1.1") == 1 and answer.startswith(b"HTTP/1.1 200")


def test_request_that_never_completes_gets_request_timeout(server: Server) -> None:
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(b"POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n\x30")
        assert read_until_closed(sock).startswith(b"HTTP/1.1 408")
