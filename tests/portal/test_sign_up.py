"""A publisher signs up; it cannot sign in (so gets no link, key or balance) until a manager
approves it on the sign-ups page; managers alone decide (the money policy's user.manage)."""

import pytest
from django.core import mail

from accounts.models import User
from affiliates.models import Publisher
from tests.portal.conftest import PASSWORD, PortalClient, client_as

NEW = {
    "company": "Green Coupons",
    "email": "owner@green.example",
    "username": "green",
    "password1": "a long enough passphrase",
    "password2": "a long enough passphrase",
}


def _sign_up(data=NEW):
    return PortalClient().post("/sign-up/", data)


def _sign_in(username, password):
    return PortalClient().post("/login/", {"username": username, "password": password})


def test_a_sign_up_makes_a_pending_publisher_whose_user_cannot_sign_in(net):
    response = _sign_up()

    assert response.status_code == 302 and response["Location"] == "/sign-up/sent/"
    user = User.objects.select_related("publisher").get(username="green")
    assert (user.role, user.is_active, user.email) == ("publisher", False, "owner@green.example")
    assert user.publisher.status == Publisher.Status.PENDING
    assert user.publisher.signup_ip == "127.0.0.1"
    refused = _sign_in("green", NEW["password1"])
    assert refused.status_code == 200
    assert "waiting for a manager" in refused.content.decode()
    # A wrong password learns nothing about the sign-up.
    assert "waiting" not in _sign_in("green", "not the password").content.decode()


def test_a_manager_approves_and_the_publisher_signs_in_to_its_pages(
    net, django_capture_on_commit_callbacks
):
    _sign_up()
    publisher = Publisher.objects.get(name="Green Coupons")
    manager = client_as(net.manager)
    listed = manager.get("/network/sign-ups/")
    assert "Green Coupons" in listed.content.decode() and "owner@green.example" in (
        listed.content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        done = manager.post(f"/network/sign-ups/{publisher.id}/approve/")

    assert done.status_code == 302 and done["Location"] == "/network/sign-ups/"
    assert "approved" in manager.get(done["Location"]).content.decode()
    publisher.refresh_from_db()
    assert publisher.status == Publisher.Status.ACTIVE
    assert User.objects.get(username="green").is_active
    assert [m.to for m in mail.outbox] == [["owner@green.example"]]
    signed_in = _sign_in("green", NEW["password1"])
    assert signed_in.status_code == 302 and signed_in["Location"] == "/"


def test_a_rejected_sign_up_stays_out(net):
    _sign_up()
    publisher = Publisher.objects.get(name="Green Coupons")

    client_as(net.manager).post(f"/network/sign-ups/{publisher.id}/reject/")

    publisher.refresh_from_db()
    assert publisher.status == Publisher.Status.SUSPENDED
    assert not User.objects.get(username="green").is_active
    assert _sign_in("green", NEW["password1"]).status_code == 200  # the form again, refused


def test_a_sign_up_decided_twice_is_refused_with_a_message(net):
    _sign_up()
    publisher = Publisher.objects.get(name="Green Coupons")
    manager = client_as(net.manager)
    manager.post(f"/network/sign-ups/{publisher.id}/reject/")

    again = manager.post(f"/network/sign-ups/{publisher.id}/approve/", follow=True)

    assert "already decided" in again.content.decode()
    publisher.refresh_from_db()
    assert publisher.status == Publisher.Status.SUSPENDED


@pytest.mark.parametrize("who", ["publisher_user", "advertiser_user", "finance"])
def test_only_managers_see_and_decide_sign_ups(net, who):
    _sign_up()
    publisher = Publisher.objects.get(name="Green Coupons")
    client = client_as(getattr(net, who))

    assert client.get("/network/sign-ups/").status_code == 403
    assert client.post(f"/network/sign-ups/{publisher.id}/approve/").status_code == 403

    publisher.refresh_from_db()
    assert publisher.status == Publisher.Status.PENDING
    assert not User.objects.get(username="green").is_active


def test_bad_sign_up_input_is_shown_beside_each_field_and_nothing_is_made(net):
    response = _sign_up(
        {
            "company": " ",
            "email": "not-an-email",
            "username": "blue",  # taken by the network's publisher user
            "password1": "short",
            "password2": "short",
        }
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"company", "email", "username", "password1"}
    page = response.content.decode()
    for field in errors:
        assert f'id="{field}-errors"' in page
    assert not Publisher.objects.filter(name__in=[" ", ""]).exists()


def test_two_different_passwords_or_a_known_publisher_name_are_refused_beside_the_field(net):
    response = _sign_up({**NEW, "company": net.publisher.name, "password2": "something else"})

    errors = response.context["form"].errors
    assert "ask its owner for an invitation" in errors["company"][0]
    assert errors["password2"] == ["The two passwords differ."]
    assert not User.objects.filter(username="green").exists()


def test_the_sign_in_page_offers_sign_up_and_password_reset(net):
    page = PortalClient().get("/login/").content.decode()
    assert 'href="/sign-up/"' in page and 'href="/password-reset/"' in page


def test_the_networks_own_users_still_sign_in_with_their_password(net):
    assert _sign_in("blue", PASSWORD)["Location"] == "/"
