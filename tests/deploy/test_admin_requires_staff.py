"""The admin is behind a staff login."""

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
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
