"""The demo's "sign in as" buttons: only the embedded mode (settings.DEMO_SIGN_IN) to a browser
on loopback, never relayed by a proxy. Production settings (DATABASE_URL) never turn it on,
whatever the environment says, and the endpoint then answers 404."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories
from tests.portal.conftest import PortalClient, saved

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(db, settings):
    settings.DEMO_SIGN_IN = True
    return {
        "publisher1": saved(factories.PublisherUserFactory(username="publisher1")),
        "finance": saved(factories.FinanceUserFactory(username="finance")),
        "stranger": saved(factories.PublisherUserFactory(username="stranger")),
    }


def test_the_embedded_mode_on_loopback_shows_the_demo_users_and_signs_in_as_one(demo):
    client = PortalClient()
    page = client.get("/login/").content.decode()
    assert 'id="demo-sign-in"' in page
    assert 'data-demo-user="publisher1"' in page and 'data-demo-user="finance"' in page
    assert "stranger" not in page  # not a demo user

    response = client.post("/login/as/", {"username": "publisher1"})

    assert response.status_code == 302
    assert client.get("/publisher/").status_code == 200


def test_a_demo_finance_user_with_its_seeded_device_is_verified(demo):
    TOTPDevice.objects.create(user=demo["finance"], name="demo", confirmed=True)
    client = PortalClient()
    client.post("/login/as/", {"username": "finance"})
    assert client.get("/finance/").status_code == 200


@pytest.mark.parametrize(
    "extra",
    [
        {"REMOTE_ADDR": "203.0.113.5"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "203.0.113.5"},
    ],
    ids=["remote", "forwarded", "real-ip"],
)
def test_a_visitor_not_on_loopback_sees_no_demo_users_and_cannot_use_the_endpoint(demo, extra):
    client = PortalClient()
    assert 'id="demo-sign-in"' not in client.get("/login/", **extra).content.decode()
    response = client.post("/login/as/", {"username": "publisher1"}, **extra)
    assert response.status_code == 404
    assert "_auth_user_id" not in client.session


def test_a_non_demo_user_cannot_be_signed_in_as(demo):
    client = PortalClient()
    assert client.post("/login/as/", {"username": "stranger"}).status_code == 404
    assert "_auth_user_id" not in client.session


def test_with_the_tests_production_settings_there_is_no_sign_in_as(db, settings):
    # The suite runs with DATABASE_URL, as production does: the flag is off by itself.
    assert settings.DEMO_SIGN_IN is False
    saved(factories.PublisherUserFactory(username="publisher1"))
    client = PortalClient()
    assert 'id="demo-sign-in"' not in client.get("/login/").content.decode()
    assert client.post("/login/as/", {"username": "publisher1"}).status_code == 404
    assert "_auth_user_id" not in client.session


def _settings_flag(**env) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DEMO_SIGN_IN)",
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_production_settings_never_turn_it_on_even_when_asked(tmp_path):
    production = {
        "DATABASE_URL": "postgres://affnet@db.invalid/affnet",
        "SECRET_KEY": "x" * 50,
        "CALLBACK_SECRET_KEYS": "YWZmbmV0LWVtYmVkZGVkLWRldi1rZXktbm90LXByb2Q=",
        "AFFNET_VAR_DIR": str(tmp_path),
        "DEMO_SIGN_IN": "on",
    }
    assert _settings_flag(**production) == "False"
    assert _settings_flag(AFFNET_VAR_DIR=str(tmp_path)) == "True"  # the embedded default
