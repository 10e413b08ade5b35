"""deploy/ stays true to the code: every variable documented, configs that their tools accept."""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import redis
import yaml
from django.conf import settings

from scripts.with_services import ensure_redis_server, free_port, wait_for_port

DEPLOY = Path(settings.BASE_DIR) / "deploy"
ENV_READER = re.compile(r'env_(?:str|bool|int|list|url)\(\s*"([A-Z0-9_]+)"')


def variables_read_by_settings() -> set[str]:
    sources = [Path(settings.BASE_DIR) / "config" / "settings.py"]
    return {name for source in sources for name in ENV_READER.findall(source.read_text())}


def test_env_example_documents_every_variable_the_settings_read():
    documented = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", (DEPLOY / "env.example").read_text(), re.M))
    documented = {name.removesuffix("_FILE") for name in documented}
    missing = variables_read_by_settings() - documented
    assert not missing, f"add to deploy/env.example: {sorted(missing)}"


def test_compose_runs_a_worker_for_every_queue_and_exactly_one_scheduler():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    served = set()
    for service in services.values():
        command = service.get("command") or []
        if "worker" in command:
            served.update(command[command.index("--queues") + 1].split(","))
    assert served == set(settings.CELERY_ALL_QUEUES.split(","))
    beats = [name for name, s in services.items() if "beat" in (s.get("command") or [])]
    assert beats == ["beat"]
    assert {"web1", "web2", "nginx", "postgres", "redis", "migrate"} <= set(services)


def test_systemd_has_a_unit_for_web_workers_and_the_scheduler_and_an_env_file_per_queue():
    units = {path.name for path in (DEPLOY / "systemd").iterdir()}
    assert {"affnet-web.service", "affnet-worker@.service", "affnet-beat.service"} <= units
    for queue in settings.CELERY_ALL_QUEUES.split(","):
        assert f"worker-{queue}.env" in units


def test_redis_conf_starts_a_redis_that_never_evicts_and_fsyncs_its_aof_every_second():
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        proc = subprocess.Popen(
            [
                ensure_redis_server(),
                str(DEPLOY / "redis.conf"),
                "--port",
                str(port),
                "--dir",
                workdir,
                "--maxmemory",
                "64mb",
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port)
            client = redis.Redis(port=port)
            assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
            assert client.config_get("appendfsync") == {"appendfsync": "everysec"}
            assert client.info("persistence")["aof_enabled"] == 1
        finally:
            proc.terminate()
            proc.wait(10)


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx not installed (make cluster-demo)")
def test_the_nginx_site_is_accepted_by_nginx(tmp_path):
    """`nginx -t` on the production site, with a throwaway certificate in place of the real one."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=track.example.com",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx" / "affnet.conf").read_text()
    # Every tracking domain's certificate (the network's and the publishers') is the test's.
    site = re.sub(r"/etc/letsencrypt/live/[^/]+/fullchain\.pem", str(tmp_path / "cert.pem"), site)
    site = re.sub(r"/etc/letsencrypt/live/[^/]+/privkey\.pem", str(tmp_path / "key.pem"), site)
    site = site.replace("/etc/affnet/nginx/", str(DEPLOY / "nginx") + "/")
    site = site.replace("/var/log/nginx/", str(tmp_path) + "/")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{\n  access_log {tmp_path}/access.log;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
