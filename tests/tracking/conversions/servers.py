"""Real local servers for the publisher-postback tests: one that counts every TCP connection,
and a tiny HTTP server whose answers are scripted."""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ConnectionCounter:
    """Accepts TCP connections on 127.0.0.1 (and ::1 when it can) and counts them."""

    def __init__(self) -> None:
        self.count = 0
        self.sockets: list[socket.socket] = []
        self.port = 0
        self._stop = threading.Event()

    def start(self) -> None:
        v4 = socket.create_server(("127.0.0.1", 0))
        self.port = v4.getsockname()[1]
        self.sockets.append(v4)
        try:
            v6 = socket.create_server(("::1", self.port), family=socket.AF_INET6)
            self.sockets.append(v6)
        except OSError:
            pass
        for sock in self.sockets:
            sock.settimeout(0.1)
            threading.Thread(target=self._accept, args=(sock,), daemon=True).start()

    def _accept(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            self.count += 1
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        for sock in self.sockets:
            sock.close()


@contextmanager
def connection_counter() -> Iterator[ConnectionCounter]:
    counter = ConnectionCounter()
    counter.start()
    try:
        yield counter
    finally:
        counter.stop()


@contextmanager
def scripted_http(answers: list[tuple[int, dict[str, str], bytes]]) -> Iterator[dict]:
    """An HTTP server on 127.0.0.1 answering each request with the next scripted answer (the
    last repeats). Yields a dict with `port` and `requests` (paths received)."""
    state: dict = {"requests": [], "port": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            index = min(len(state["requests"]), len(answers) - 1)
            state["requests"].append((self.path, self.headers.get("Host")))
            status, headers, body = answers[index]
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["port"] = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
