"""A real HTTP server on 127.0.0.1 that records what it is sent: the publisher's end of a
postback, the only fake in these tests (it stands for a server on the internet)."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def recording_server(status: int = 200, body: bytes = b"OK") -> Iterator[dict]:
    seen: dict = {"paths": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen["paths"].append(self.path)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    seen["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()
