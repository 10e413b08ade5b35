"""A manager runs partner users (publishers', advertisers') in the admin, never staff: it cannot
open, edit, reset or re-role a finance user, another manager or a superuser, nor grant itself
superuser or permissions. Only superusers manage staff (issue 10, attack 3)."""

import pytest
from django.test import Client

from accounts.models import Role, User
from accounts.services import user_create
from tests import factories
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

PASSWORD = "a-new-Passw0rd-for-this"


def admin_client(user) -> Client:
    return signed_in(Client(), user)  # superusers and finance with their two-factor code


@pytest.fixture
def manager() -> User:
    return user_create(username="mallory", role=Role.MANAGER, password="x" * 12)


@pytest.fixture
def superuser() -> User:
    return user_create(username="root", role=Role.MANAGER, password="x" * 12, is_superuser=True)


@pytest.fixture
def staff_targets(superuser) -> dict[str, User]:
    return {
        "finance": factories.FinanceUserFactory(),
        "manager": user_create(username="other-manager", role=Role.MANAGER),
        "superuser": superuser,
    }


@pytest.mark.parametrize("kind", ["finance", "manager", "superuser"])
def test_a_manager_cannot_open_or_change_a_staff_user_in_the_admin(manager, staff_targets, kind):
    target = staff_targets[kind]
    before = User.objects.values().get(pk=target.pk)
    client = admin_client(manager)
    assert client.get(f"/admin/accounts/user/{target.pk}/change/").status_code in (302, 403)
    response = client.post(
        f"/admin/accounts/user/{target.pk}/change/",
        {
            "username": target.username,
            "email": "mallory@evil.example",
            "role": Role.FINANCE,
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/login/" in response["Location"]
    assert User.objects.values().get(pk=target.pk) == before


@pytest.mark.parametrize("kind", ["finance", "manager", "superuser"])
def test_a_manager_cannot_reset_a_staff_users_password(manager, staff_targets, kind):
    target = staff_targets[kind]
    client = admin_client(manager)
    url = f"/admin/accounts/user/{target.pk}/password/"
    assert client.get(url).status_code == 403
    response = client.post(
        url, {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert not target.check_password(PASSWORD)


def test_a_manager_cannot_make_itself_superuser(manager):
    client = admin_client(manager)
    client.post(
        f"/admin/accounts/user/{manager.pk}/change/",
        {
            "username": manager.username,
            "role": Role.MANAGER,
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "user_permissions": [1, 2, 3],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    manager.refresh_from_db()
    assert not manager.is_superuser
    assert not manager.user_permissions.exists() and not manager.groups.exists()


def test_a_manager_cannot_add_a_finance_user_or_another_manager(manager):
    client = admin_client(manager)
    for role in (Role.FINANCE, Role.MANAGER):
        response = client.post(
            "/admin/accounts/user/add/",
            {
                "username": f"new-{role}",
                "usable_password": "true",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "role": role,
            },
        )
        assert response.status_code in (200, 403), role  # the form again, or refused
        assert not User.objects.filter(username=f"new-{role}").exists(), role


def test_a_manager_cannot_turn_a_publisher_user_into_finance(manager):
    target = factories.PublisherUserFactory()
    client = admin_client(manager)
    response = client.post(
        f"/admin/accounts/user/{target.pk}/change/",
        {
            "username": target.username,
            "role": Role.FINANCE,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code in (200, 403)
    target.refresh_from_db()
    assert target.role == Role.PUBLISHER


def test_a_manager_still_manages_publisher_and_advertiser_users(manager):
    publisher_user = factories.PublisherUserFactory()
    client = admin_client(manager)
    assert client.get(f"/admin/accounts/user/{publisher_user.pk}/change/").status_code == 200
    response = client.post(
        f"/admin/accounts/user/{publisher_user.pk}/password/",
        {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    publisher_user.refresh_from_db()
    assert publisher_user.check_password(PASSWORD)
    advertiser = factories.AdvertiserFactory()
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "new-advertiser-user",
            "usable_password": "false",
            "role": Role.ADVERTISER,
            "advertiser": advertiser.pk,
        },
    )
    assert response.status_code == 302, response.content
    created = User.objects.get(username="new-advertiser-user")
    assert (created.role, created.advertiser_id, created.is_staff) == (
        Role.ADVERTISER,
        advertiser.pk,
        False,
    )


def test_a_managers_user_form_has_no_superuser_staff_or_permission_fields(manager):
    target = factories.PublisherUserFactory()
    page = admin_client(manager).get(f"/admin/accounts/user/{target.pk}/change/").content
    for field in (b'name="is_superuser"', b'name="is_staff"', b'name="groups"'):
        assert field not in page
    assert b'name="user_permissions"' not in page


def test_creating_a_user_preselects_no_role(superuser):
    page = admin_client(superuser).get("/admin/accounts/user/add/").content.decode()
    role_select = page.split('name="role"', 1)[1].split("</select>", 1)[0]
    assert 'value="" selected' in role_select
    assert " selected" not in role_select.replace('value="" selected', "")
    assert User._meta.get_field("role").has_default() is False


def test_a_superuser_still_manages_staff(superuser, staff_targets):
    client = admin_client(superuser)
    other_manager = staff_targets["manager"]
    assert client.get(f"/admin/accounts/user/{other_manager.pk}/change/").status_code == 200
    page = client.get(f"/admin/accounts/user/{other_manager.pk}/change/").content
    assert b'name="is_superuser"' in page


def test_createsuperuser_still_works_and_makes_a_manager():
    from django.core.management import call_command

    call_command("createsuperuser", interactive=False, username="boss", email="b@example.com")
    boss = User.objects.get(username="boss")
    assert (boss.role, boss.is_superuser, boss.is_manager) == (Role.MANAGER, True, True)


def test_a_manager_cannot_bulk_delete_a_finance_user_from_the_list(manager, staff_targets):
    finance = staff_targets["finance"]
    response = admin_client(manager).post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [finance.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302, 403)
    assert User.objects.filter(pk=finance.pk).exists()
