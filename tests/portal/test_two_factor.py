"""TOTP two-factor (django-otp): finance users and superusers reach no page before enrolling
and giving a code in the session; everyone else may enrol, and is then asked at each sign-in."""

from datetime import timedelta

from django.db.models import F
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.two_factor import totp_key_base32
from tests import factories
from tests.portal.conftest import PASSWORD, PortalClient, client_as, saved, totp_code


def _sign_in(username, password=PASSWORD):
    client = PortalClient()
    response = client.post("/login/", {"username": username, "password": password})
    return client, response


def test_a_finance_user_is_sent_to_enrol_and_reaches_no_finance_page_before(net):
    client, response = _sign_in("fiona")

    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/?next=")
    blocked = client.get("/finance/")
    assert blocked.status_code == 302 and blocked["Location"].startswith("/account/two-factor/")
    page = client.get(blocked["Location"]).content.decode()
    assert "<svg" in page and 'id="totp-key"' in page


def test_a_finance_user_enrols_with_a_code_and_then_reaches_finance_pages(net):
    client, _ = _sign_in("fiona")
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=net.finance, confirmed=False)

    wrong = client.post("/account/two-factor/", {"token": "000000", "next": "/finance/"})
    assert wrong.status_code == 200 and 'id="token-errors"' in wrong.content.decode()
    # django-otp makes a device wait a second after a wrong code (doubling each time).
    TOTPDevice.objects.filter(id=device.id).update(
        throttling_failure_timestamp=F("throttling_failure_timestamp") - timedelta(seconds=5)
    )
    done = client.post("/account/two-factor/", {"token": totp_code(device), "next": "/finance/"})

    assert done.status_code == 302 and done["Location"] == "/finance/"
    assert client.get("/finance/").status_code == 200
    assert TOTPDevice.objects.get(user=net.finance).confirmed


def test_an_enrolled_user_gives_a_code_at_each_sign_in(net):
    device = TOTPDevice.objects.create(user=net.finance, name="phone", confirmed=True)
    client, response = _sign_in("fiona")
    assert response["Location"].startswith("/account/two-factor/verify/")
    assert client.get("/finance/").status_code == 302

    wrong = client.post("/account/two-factor/verify/", {"token": "12345x", "next": "/finance/"})
    assert 'id="token-errors"' in wrong.content.decode()
    done = client.post(
        "/account/two-factor/verify/", {"token": totp_code(device), "next": "/finance/"}
    )

    assert done["Location"] == "/finance/"
    assert client.get("/finance/").status_code == 200


def test_a_code_is_not_accepted_twice(net):
    device = TOTPDevice.objects.create(user=net.finance, name="phone", confirmed=True)
    code = totp_code(device)
    first, _ = _sign_in("fiona")
    first.post("/account/two-factor/verify/", {"token": code})
    second, _ = _sign_in("fiona")

    replay = second.post("/account/two-factor/verify/", {"token": code, "next": "/finance/"})

    assert replay.status_code == 200 and 'id="token-errors"' in replay.content.decode()
    assert second.get("/finance/").status_code == 302


def test_a_superuser_is_held_at_two_factor_too(net):
    root = saved(factories.ManagerFactory(username="root", is_superuser=True, is_staff=True))
    client, response = _sign_in("root")
    assert response["Location"].startswith("/account/two-factor/")
    assert client.get("/network/").status_code == 302
    assert client_as(root).get("/network/").status_code == 200  # once verified


def test_others_sign_in_without_a_code_and_may_enrol(net):
    client, response = _sign_in("blue")
    assert response["Location"] == "/"
    assert client.get("/publisher/").status_code == 200
    page = client.get("/account/two-factor/").content.decode()
    assert 'id="totp-key"' in page
    device = TOTPDevice.objects.get(user=net.publisher_user)
    assert totp_key_base32(device) in page

    client.post("/account/two-factor/", {"token": totp_code(device)})

    later, response = _sign_in("blue")
    assert response["Location"].startswith("/account/two-factor/verify/")
    assert later.get("/publisher/").status_code == 302


def test_a_publisher_may_turn_two_factor_off_but_finance_may_not(net):
    TOTPDevice.objects.create(user=net.publisher_user, name="phone", confirmed=True)
    publisher = client_as(net.publisher_user)
    session = publisher.session
    session["otp_device_id"] = TOTPDevice.objects.get(user=net.publisher_user).persistent_id
    session.save()
    publisher.post("/account/two-factor/remove/")
    assert not TOTPDevice.objects.filter(user=net.publisher_user).exists()

    finance = client_as(net.finance)
    finance.post("/account/two-factor/remove/")
    assert TOTPDevice.objects.filter(user=net.finance, confirmed=True).exists()


def test_the_next_address_after_two_factor_stays_on_this_site(net):
    client, _ = _sign_in("fiona")
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=net.finance, confirmed=False)
    done = client.post(
        "/account/two-factor/", {"token": totp_code(device), "next": "https://evil.example/"}
    )
    assert done["Location"] == "/"
