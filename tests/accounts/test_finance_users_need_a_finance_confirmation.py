"""Creating or resetting a finance user takes two people: the superuser who asks, and an existing
finance user who confirms (POST /api/v1/staff-changes/{id}/confirm/). Until then the new user
cannot sign in and a reset password does not work."""

import pytest
from django.test import Client

from accounts.models import Role, StaffChange, User
from accounts.services import user_create
from tests import factories
from tests.conftest import client_for, signed_in

pytestmark = pytest.mark.django_db

PASSWORD = "a-new-Passw0rd-for-this"
OLD_PASSWORD = "correct horse battery"


def admin_client(user) -> Client:
    return signed_in(Client(), user)  # superusers and finance with their two-factor code


@pytest.fixture
def superuser() -> User:
    # A superuser who is also finance: the requester must not be able to confirm itself.
    return user_create(username="root", role=Role.FINANCE, password="x" * 12, is_superuser=True)


@pytest.fixture
def finance() -> User:
    return factories.FinanceUserFactory()


def add_finance_user(client: Client, username: str = "new-finance"):
    return client.post(
        "/admin/accounts/user/add/",
        {
            "username": username,
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "role": Role.FINANCE,
        },
    )


def confirm(user, change: StaffChange):
    return client_for(user).post(f"/api/v1/staff-changes/{change.pk}/confirm/")


def test_a_finance_user_created_by_a_superuser_waits_for_another_finance_user(superuser, finance):
    response = add_finance_user(admin_client(superuser))
    assert response.status_code == 302, response.content
    created = User.objects.get(username="new-finance")
    assert not created.is_active
    assert not Client().login(username="new-finance", password=PASSWORD)
    change = StaffChange.objects.get(target=created)
    assert (change.kind, change.state) == ("create", "pending")
    assert change.requested_by_id == superuser.pk

    listed = client_for(finance).get("/api/v1/staff-changes/").json()["results"]
    assert [row["id"] for row in listed] == [change.pk]

    response = confirm(finance, change)
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "confirmed"
    created.refresh_from_db()
    assert created.is_active
    assert Client().login(username="new-finance", password=PASSWORD)
    change.refresh_from_db()
    assert change.confirmed_by_id == finance.pk


def test_the_requester_cannot_confirm_its_own_request(superuser, finance):
    add_finance_user(admin_client(superuser))
    change = StaffChange.objects.get()
    response = confirm(superuser, change)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not User.objects.get(username="new-finance").is_active


@pytest.mark.parametrize(
    "factory", [factories.ManagerFactory, factories.PublisherUserFactory], ids=["manager", "pub"]
)
def test_only_finance_users_confirm(superuser, factory):
    add_finance_user(admin_client(superuser))
    change = StaffChange.objects.get()
    assert confirm(factory(), change).status_code in (403, 404)
    assert not User.objects.get(username="new-finance").is_active


def test_a_confirmed_request_cannot_be_confirmed_again(superuser, finance):
    add_finance_user(admin_client(superuser))
    change = StaffChange.objects.get()
    assert confirm(finance, change).status_code == 200
    response = confirm(factories.FinanceUserFactory(), change)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_pending"


def test_a_superuser_cannot_activate_a_pending_finance_user_by_ticking_active(superuser, finance):
    client = admin_client(superuser)
    add_finance_user(client)
    created = User.objects.get(username="new-finance")
    client.post(
        f"/admin/accounts/user/{created.pk}/change/",
        {
            "username": created.username,
            "role": Role.FINANCE,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    created.refresh_from_db()
    assert not created.is_active


def test_a_finance_password_reset_takes_effect_only_once_confirmed(superuser, finance):
    target = factories.FinanceUserFactory()
    target.save()  # the factory sets the password after saving
    response = admin_client(superuser).post(
        f"/admin/accounts/user/{target.pk}/password/",
        {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password(OLD_PASSWORD) and not target.check_password(PASSWORD)
    change = StaffChange.objects.get(target=target)
    assert (change.kind, change.state) == ("reset", "pending")
    assert confirm(target, change).status_code == 403  # not its own reset either
    assert confirm(finance, change).status_code == 200
    target.refresh_from_db()
    assert target.check_password(PASSWORD)


def test_a_manager_turned_finance_by_a_superuser_waits_for_confirmation(superuser, finance):
    target = user_create(username="promoted", role=Role.MANAGER)
    admin_client(superuser).post(
        f"/admin/accounts/user/{target.pk}/change/",
        {
            "username": target.username,
            "role": Role.FINANCE,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    target.refresh_from_db()
    assert target.role == Role.FINANCE and not target.is_active and not target.is_staff
    assert StaffChange.objects.get(target=target).kind == "create"
