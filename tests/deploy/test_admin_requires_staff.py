"""The admin is behind a staff login, and for superusers and finance users their two-factor
code (accounts.admin_access.TwoFactorAdminSite)."""

from tests.conftest import signed_in, two_factor_device
from tests.factories import ManagerFactory, PublisherUserFactory


def test_the_admin_sends_an_anonymous_visitor_to_the_login_page(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_admin_refuses_a_logged_in_user_who_is_not_staff(client, db):
    client.force_login(PublisherUserFactory(is_staff=False))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_admin_opens_for_staff(client, db):
    staff = ManagerFactory(is_staff=True, is_superuser=True)
    staff.save()  # the factory sets the password after saving; the session hash needs it stored
    signed_in(client, staff)  # with its two-factor code given
    assert client.get("/admin/").status_code == 200


def test_a_superuser_without_its_two_factor_code_is_refused_by_the_admin(client, db):
    staff = ManagerFactory(is_staff=True, is_superuser=True, username="root")
    staff.save()
    two_factor_device(staff)  # enrolled, but this session gave no code
    signed_in(client, staff, verified=False)

    for path in ("/admin/", "/admin/accounts/user/", "/admin/offers/offer/add/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/admin/login/"), path
    # The admin's sign-in page sends it on to give its code, and back to the admin after.
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == "/account/two-factor/verify/?next=%2Fadmin%2Faccounts%2Fuser%2F"


def test_a_superuser_s_password_alone_does_not_open_the_admin(client, db):
    staff = ManagerFactory(is_staff=True, is_superuser=True, username="root")
    staff.set_password("correct horse battery")
    staff.save()

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": "correct horse battery", "next": "/admin/"},
        follow=True,
    )
    # Signed in, but the admin still sends it to enrol an authenticator first.
    assert response.redirect_chain[-1][0].startswith("/account/two-factor/?next=")
    assert client.get("/admin/").status_code == 302
