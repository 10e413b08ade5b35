"""Password reset by email (Django's views): a link that sets a new password once."""

import re

from django.core import mail

from tests.portal.conftest import PASSWORD, PortalClient


def _ask(email):
    return PortalClient().post("/password-reset/", {"email": email})


def _sign_in(username, password):
    return PortalClient().post("/login/", {"username": username, "password": password})


def _link_path() -> str:
    return re.search(r"https?://[^/\s]+(/password-reset/\S+/)", mail.outbox[-1].body)[1]


def test_a_user_resets_a_forgotten_password_from_the_emailed_link(net):
    net.publisher_user.email = "blue@pub.example"
    net.publisher_user.save(update_fields=["email"])

    asked = _ask("blue@pub.example")

    assert asked.status_code == 302 and asked["Location"] == "/password-reset/sent/"
    assert mail.outbox[-1].to == ["blue@pub.example"]
    visitor = PortalClient()
    form = visitor.get(_link_path(), follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    done = visitor.post(
        form.request["PATH_INFO"],
        {"new_password1": "brand new passphrase", "new_password2": "brand new passphrase"},
    )
    assert done.status_code == 302 and done["Location"] == "/password-reset/done/"
    assert _sign_in("blue", "brand new passphrase").status_code == 302
    assert _sign_in("blue", PASSWORD).status_code == 200


def test_a_reset_link_works_once(net):
    net.publisher_user.email = "blue@pub.example"
    net.publisher_user.save(update_fields=["email"])
    _ask("blue@pub.example")
    path = _link_path()
    visitor = PortalClient()
    landing = visitor.get(path, follow=True).request["PATH_INFO"]
    visitor.post(
        landing, {"new_password1": "brand new passphrase", "new_password2": "brand new passphrase"}
    )

    again = PortalClient().get(path, follow=True)

    assert 'id="reset-link-invalid"' in again.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_email(net):
    asked = _ask("nobody@nowhere.example")
    assert asked.status_code == 302 and asked["Location"] == "/password-reset/sent/"
    assert not mail.outbox


def test_bad_new_passwords_are_shown_beside_their_field(net):
    net.publisher_user.email = "blue@pub.example"
    net.publisher_user.save(update_fields=["email"])
    _ask("blue@pub.example")
    visitor = PortalClient()
    landing = visitor.get(_link_path(), follow=True).request["PATH_INFO"]

    response = visitor.post(landing, {"new_password1": "abc", "new_password2": "abd"})

    assert response.status_code == 200
    assert 'id="new_password2-errors"' in response.content.decode()
    assert _sign_in("blue", PASSWORD).status_code == 302


def test_a_malformed_email_is_shown_beside_the_field():
    response = _ask("not an email")
    assert 'id="email-errors"' in response.content.decode()
    assert not mail.outbox
