"""Sign-in throttling (django-axes): after SIGN_IN_FAILURE_LIMIT failed passwords for one
username from one address, that pair is refused (429, said on the form), even with the right
password; other addresses and other usernames are not affected; a success resets the count."""

import pytest
from axes.models import AccessAttempt

from tests.portal.conftest import PASSWORD, PortalClient

ATTACKER = "203.0.113.9"


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def _sign_in(username, password, address=ATTACKER):
    return PortalClient().post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_a_username_is_locked_for_an_address_after_the_failures(net):
    for _ in range(2):
        assert _sign_in("blue", "wrong").status_code == 200
    third = _sign_in("blue", "wrong")
    assert third.status_code == 429

    locked = _sign_in("blue", PASSWORD)

    assert locked.status_code == 429
    assert 'id="locked-out"' in locked.content.decode()
    assert "Too many failed sign-ins" in locked.content.decode()


def test_the_lock_holds_one_username_at_one_address_only(net):
    for _ in range(3):
        _sign_in("blue", "wrong")

    assert _sign_in("blue", PASSWORD, address="198.51.100.20").status_code == 302
    assert _sign_in("acme", PASSWORD).status_code == 302


def test_a_success_resets_the_count(net):
    _sign_in("blue", "wrong")
    _sign_in("blue", "wrong")
    assert _sign_in("blue", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="blue").exists()
    _sign_in("blue", "wrong")
    _sign_in("blue", "wrong")
    assert _sign_in("blue", PASSWORD).status_code == 302


def test_the_admin_sign_in_is_throttled_too(net):
    for _ in range(3):
        PortalClient().post(
            "/admin/login/", {"username": "maria", "password": "wrong"}, REMOTE_ADDR=ATTACKER
        )
    assert _sign_in("maria", PASSWORD).status_code == 429
