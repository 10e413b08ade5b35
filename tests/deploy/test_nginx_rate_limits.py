"""The nginx site of deploy/ parses with its rate-limit zones, and every callback and pixel path
is behind a limit_req that answers 429 past its burst. Runs the real nginx when installed.

The production zones allow thousands of requests a second per address (an advertiser's
month-end burst); to see the limit bite with a few requests, the behaviour test runs the same
locations with the zones' rates and bursts scaled down."""

import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

NGINX = Path(__file__).resolve().parents[2] / "deploy" / "nginx"

pytestmark = pytest.mark.skipif(
    not shutil.which("nginx"), reason="nginx not installed (make cluster-demo)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _zones(site: str) -> list[str]:
    return re.findall(r"^limit_req_zone .*;$", (NGINX / site).read_text(), re.M)


def _config(tmp_path: Path, *, zones: list[str], locations: Path, port: int, upstream: int) -> Path:
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\ndaemon off;\n"
        "events {}\n"
        "http {\n"
        f"  access_log off;\n"
        + "".join(f"  {zone}\n" for zone in zones)
        + f"  upstream affnet_web {{ server 127.0.0.1:{upstream}; }}\n"
        # The app, as far as nginx can tell: answers everything 200.
        f"  server {{ listen 127.0.0.1:{upstream}; location / {{ return 200 ok; }} }}\n"
        f"  server {{ listen 127.0.0.1:{port}; include {locations}; }}\n"
        "}\n"
    )
    return conf


@pytest.mark.parametrize("site", ["affnet.conf", "docker.conf"])
def test_the_site_parses_with_its_zones_and_locations(tmp_path, site):
    zones = _zones(site)
    assert {re.search(r"zone=(\w+):", zone).group(1) for zone in zones} >= {
        "clicks",
        "callbacks",
        "api",
    }
    conf = _config(
        tmp_path,
        zones=zones,
        locations=NGINX / "affnet-locations.conf",
        port=_free_port(),
        upstream=_free_port(),
    )
    checked = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_every_callback_and_pixel_path_is_answered_429_past_its_burst(tmp_path):
    zones = [re.sub(r"rate=\d+r/s", "rate=1r/m", zone) for zone in _zones("affnet.conf")]
    locations = tmp_path / "locations.conf"
    locations.write_text(
        re.sub(r"burst=\d+", "burst=3", (NGINX / "affnet-locations.conf").read_text())
    )
    port = _free_port()
    conf = _config(tmp_path, zones=zones, locations=locations, port=port, upstream=_free_port())
    nginx = subprocess.Popen(
        ["nginx", "-p", str(tmp_path), "-c", str(conf)], stderr=subprocess.PIPE
    )
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)

        def status(path: str) -> int:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}").status
            except urllib.error.HTTPError as exc:
                return exc.code

        # Each zone is per address and shared by its paths: one burst per zone.
        for paths in (
            ["/postback?click_id=A", "/aff_lsr", "/everflow", "/postback"],
            ["/p/sale.gif", "/p/sale.gif?click_id=A", "/c/abc", "/p/sale.gif"],
        ):
            answers = [status(path) for path in paths * 2]
            # The first (rate) plus the burst of 3 pass; the rest are refused.
            assert answers[:4] == [200, 200, 200, 200], (paths, answers)
            assert answers[4:] == [429, 429, 429, 429], (paths, answers)
        # Paths outside the two zones are not touched by them.
        assert status("/healthz") == 200
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
