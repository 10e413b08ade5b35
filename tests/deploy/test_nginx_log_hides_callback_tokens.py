"""The nginx access log format of deploy/ never writes a callback's query string (it may hold
the advertiser's token), while other requests keep theirs. Runs the real nginx when installed."""

import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx not installed (make cluster-demo)")
def test_callback_query_strings_never_reach_the_access_log(tmp_path):
    port = _free_port()
    log = tmp_path / "access.log"
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\ndaemon off;\n"
        "events {}\n"
        "http {\n"
        f"  include {DEPLOY}/nginx/affnet-log.conf;\n"
        f"  access_log {log} affnet;\n"
        f"  server {{ listen 127.0.0.1:{port}; location / {{ return 200 ok; }} }}\n"
        "}\n"
    )
    nginx = subprocess.Popen(
        ["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        for path in (
            "/postback?click_id=A&token=pbs_SECRET1",
            "/aff_lsr?security_token=pbs_SECRET2",
            "/everflow?verification_token=pbs_SECRET3",
            "/c/abc?sub1=kept",
        ):
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}").read()
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
    written = log.read_text()
    assert "SECRET" not in written
    assert '"GET /postback HTTP/1.1"' in written and '"GET /aff_lsr HTTP/1.1"' in written
    assert '"GET /c/abc?sub1=kept HTTP/1.1"' in written
