"""`manage.py check --deploy` is clean with production settings and catches what would hurt."""

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from config.checks import check_redis_does_not_evict
from config.env import env_str
from scripts.with_services import ensure_redis_server, free_port, wait_for_port


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The environment deploy/env.example describes, with the secret key in a file."""
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(50) + "\n")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
        SECRET_KEY_FILE=str(key_file),
        ALLOWED_HOSTS="track.example.com",
        HTTPS_ONLY="on",
        LOG_FORMAT="json",
        AFFNET_VAR_DIR=str(tmp_path / "var"),
    )
    env.update(overrides)
    return env


def manage_check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = manage_check_deploy(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_https_is_not_enforced(tmp_path):
    result = manage_check_deploy(production_env(tmp_path, HTTPS_ONLY="off"))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "security.W008" in output
    assert "security.W004" in output


@pytest.fixture
def evicting_redis():
    """A Redis of this test's own configured the wrong way (the shared one must stay right)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        proc = subprocess.Popen(
            [
                ensure_redis_server(),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                workdir,
                "--maxmemory-policy",
                "allkeys-lru",
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(10)


def test_an_evicting_redis_is_an_error_for_the_deploy_check(evicting_redis):
    with override_settings(REDIS_URL=evicting_redis):
        (message,) = check_redis_does_not_evict()
    assert message.id == "affnet.E001"
    assert "allkeys-lru" in message.msg


def test_a_noeviction_redis_passes_the_deploy_check():
    assert check_redis_does_not_evict() == []


def test_an_unreachable_redis_is_a_warning_for_the_deploy_check():
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"):
        (message,) = check_redis_does_not_evict()
    assert message.id == "affnet.W003"


def test_a_variable_can_come_from_the_file_named_by_its_file_variable(tmp_path, monkeypatch):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.delenv("AFFNET_TEST_SECRET", raising=False)
    monkeypatch.setenv("AFFNET_TEST_SECRET_FILE", str(secret))
    assert env_str("AFFNET_TEST_SECRET") == "from-a-file"
    # The variable itself wins over the file.
    monkeypatch.setenv("AFFNET_TEST_SECRET", "from-the-env")
    assert env_str("AFFNET_TEST_SECRET") == "from-the-env"


def test_a_missing_secret_file_stops_start_up_naming_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("AFFNET_TEST_SECRET", raising=False)
    monkeypatch.setenv("AFFNET_TEST_SECRET_FILE", str(tmp_path / "absent"))
    with pytest.raises(ImproperlyConfigured, match="AFFNET_TEST_SECRET_FILE"):
        env_str("AFFNET_TEST_SECRET")


def test_an_empty_variable_gives_way_to_its_file(tmp_path, monkeypatch):
    """docker-compose blanks the shared env file's DATABASE_URL to use its secret file."""
    secret = tmp_path / "secret"
    secret.write_text("from-a-file")
    monkeypatch.setenv("AFFNET_TEST_SECRET", "")
    monkeypatch.setenv("AFFNET_TEST_SECRET_FILE", str(secret))
    assert env_str("AFFNET_TEST_SECRET") == "from-a-file"
