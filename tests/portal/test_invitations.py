"""Managers invite advertiser and publisher users: an emailed link whose token is stored only
as a hash, works once, and expires; only managers may invite (the money policy)."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.invitations import invitation_create
from accounts.models import Invitation, User
from core.errors import ForbiddenError
from tests.portal.conftest import PortalClient, client_as

NEW_USER = {
    "username": "newbie",
    "password1": "a fine passphrase",
    "password2": "a fine passphrase",
}


def _invite(net, capture, **data):
    with capture(execute=True):
        return client_as(net.manager).post(
            "/network/invitations/",
            {"email": "ann@acme.example", "role": "advertiser", "advertiser": net.advertiser.id}
            | data,
        )


def _link() -> str:
    return re.search(r"http://\S+/invitations/(\S+)/", mail.outbox[-1].body)[0]


def test_a_manager_invites_and_the_token_is_kept_only_as_a_hash(
    net, django_capture_on_commit_callbacks
):
    response = _invite(net, django_capture_on_commit_callbacks)

    assert response.status_code == 302 and response["Location"] == "/network/invitations/"
    assert mail.outbox[-1].to == ["ann@acme.example"]
    token = _link().rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Invitation.objects.values().get())
    page = client_as(net.manager).get("/network/invitations/").content.decode()
    assert "ann@acme.example" in page and token not in page


def test_the_invited_person_chooses_a_password_and_is_a_user_of_that_advertiser(
    net, django_capture_on_commit_callbacks
):
    _invite(net, django_capture_on_commit_callbacks)
    path = _link().split("://", 1)[1].split("/", 1)[1]
    visitor = PortalClient()
    assert "Acme Shop" in visitor.get(f"/{path}").content.decode()

    done = visitor.post(f"/{path}", NEW_USER)

    assert done.status_code == 302 and done["Location"] == "/"
    user = User.objects.get(username="newbie")
    assert (user.role, user.advertiser_id, user.email, user.is_active) == (
        "advertiser",
        net.advertiser.id,
        "ann@acme.example",
        True,
    )
    assert visitor.get("/", follow=True).request["PATH_INFO"] == "/advertiser/"
    invitation = Invitation.objects.get()
    assert invitation.user == user and invitation.accepted_at is not None


def test_an_invitation_works_once(net, django_capture_on_commit_callbacks):
    _invite(net, django_capture_on_commit_callbacks)
    path = "/" + _link().split("://", 1)[1].split("/", 1)[1]
    PortalClient().post(path, NEW_USER)

    again = PortalClient().post(path, {**NEW_USER, "username": "second"})

    assert again.status_code == 404
    assert "already used" in again.content.decode()
    assert not User.objects.filter(username="second").exists()


def test_an_expired_invitation_is_refused(net, django_capture_on_commit_callbacks):
    _invite(net, django_capture_on_commit_callbacks)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    path = "/" + _link().split("://", 1)[1].split("/", 1)[1]

    response = PortalClient().post(path, NEW_USER)

    assert response.status_code == 410 and "expired" in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


def test_a_publisher_user_is_invited_to_a_publisher(net, django_capture_on_commit_callbacks):
    _invite(net, django_capture_on_commit_callbacks, role="publisher", publisher=net.publisher.id)
    path = "/" + _link().split("://", 1)[1].split("/", 1)[1]
    PortalClient().post(path, NEW_USER)
    user = User.objects.get(username="newbie")
    assert (user.role, user.publisher_id, user.advertiser_id) == (
        "publisher",
        net.publisher.id,
        None,
    )


def test_bad_invitation_input_is_shown_beside_its_field(net, django_capture_on_commit_callbacks):
    response = _invite(
        net, django_capture_on_commit_callbacks, email="nope", advertiser="", role="advertiser"
    )
    errors = response.context["form"].errors
    assert set(errors) == {"email", "advertiser"}
    assert 'id="advertiser-errors"' in response.content.decode()
    assert not Invitation.objects.exists() and not mail.outbox


def test_bad_new_user_input_is_shown_beside_its_field(net, django_capture_on_commit_callbacks):
    _invite(net, django_capture_on_commit_callbacks)
    path = "/" + _link().split("://", 1)[1].split("/", 1)[1]
    response = PortalClient().post(
        path, {"username": "blue", "password1": "123", "password2": "123"}
    )
    assert set(response.context["form"].errors) == {"username", "password1"}
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.parametrize("who", ["publisher_user", "advertiser_user", "finance"])
def test_only_managers_invite(net, who):
    client = client_as(getattr(net, who))
    assert client.get("/network/invitations/").status_code == 403
    response = client.post(
        "/network/invitations/",
        {"email": "x@example.com", "role": "advertiser", "advertiser": net.advertiser.id},
    )
    assert response.status_code == 403
    with pytest.raises(ForbiddenError):
        invitation_create(
            by=getattr(net, who),
            email="x@example.com",
            role="advertiser",
            advertiser_id=net.advertiser.id,
        )
    assert not Invitation.objects.exists()


def test_nobody_is_invited_as_staff(net):
    with pytest.raises(Exception, match="Invite advertiser or publisher users"):
        invitation_create(by=net.manager, email="x@example.com", role="finance")
