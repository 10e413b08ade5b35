"""Every page is scoped like the API: a foreign row is a 404, another role's page a 403, and a
signed-out visitor is sent to sign in."""

import pytest

from tests import factories
from tests.portal.conftest import client_as


def test_a_signed_out_visitor_is_sent_to_the_sign_in_page(client, net):
    response = client.get("/publisher/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/publisher/")


@pytest.mark.parametrize(
    ("who", "home"),
    [
        ("publisher_user", "/publisher/"),
        ("advertiser_user", "/advertiser/"),
        ("finance", "/finance/"),
        ("manager", "/network/"),
    ],
)
def test_the_landing_page_sends_each_role_to_its_own_pages(net, who, home):
    response = client_as(getattr(net, who)).get("/")
    assert response.status_code == 302
    assert response["Location"] == home
    assert client_as(getattr(net, who)).get(home).status_code == 200


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("publisher_user", "/finance/"),
        ("publisher_user", "/advertiser/conversions/"),
        ("publisher_user", "/network/"),
        ("advertiser_user", "/publisher/"),
        ("advertiser_user", "/finance/balances/"),
        ("finance", "/publisher/offers/"),
        ("finance", "/network/"),
        ("manager", "/advertiser/postback/"),
    ],
)
def test_a_page_of_another_role_is_refused(net, who, path):
    response = client_as(getattr(net, who)).get(path)
    assert response.status_code == 403
    assert b"Not for your role" in response.content


def test_a_publisher_cannot_open_another_publishers_postback_template(net):
    theirs = factories.PostbackTemplateFactory(publisher=net.other_publisher)
    client = client_as(net.publisher_user)
    assert client.get(f"/publisher/postbacks/{theirs.id}/").status_code == 404
    assert client.post(f"/publisher/postbacks/{theirs.id}/test/").status_code == 404
    assert (
        client.post(
            f"/publisher/postbacks/{theirs.id}/", {"scope": "global", "url": "https://x.example/"}
        ).status_code
        == 404
    )
    theirs.refresh_from_db()
    assert theirs.url == "https://pub.example/pb?click={click_id}&payout={payout}"


def test_a_publisher_does_not_see_another_publishers_templates_or_postbacks(net):
    factories.PostbackTemplateFactory(publisher=net.other_publisher, url="https://red.example/pb")
    factories.PostbackTemplateFactory(publisher=net.publisher, url="https://blue.example/pb")
    page = client_as(net.publisher_user).get("/publisher/postbacks/").content.decode()
    assert "blue.example" in page
    assert "red.example" not in page


def test_a_private_offer_is_not_found_for_a_publisher_without_access(net):
    client = client_as(net.publisher_user)
    assert client.get(f"/publisher/offers/{net.private_offer.id}/").status_code == 404
    assert client.post(f"/publisher/offers/{net.private_offer.id}/request/").status_code == 404
    assert net.private_offer.name not in client.get("/publisher/offers/").content.decode()


def test_an_approval_offer_shows_a_request_button_and_no_link_builder(net):
    page = client_as(net.publisher_user).get(f"/publisher/offers/{net.approval_offer.id}/")
    assert b"Request access" in page.content
    assert b"Link builder" not in page.content


def test_an_advertiser_cannot_open_another_advertisers_conversion(net):
    theirs = factories.ConversionFactory(
        goal=factories.GoalFactory(offer=net.other_offer),
        publisher=net.publisher,
        status="pending",
    )
    client = client_as(net.advertiser_user)
    assert client.get(f"/advertiser/conversions/{theirs.id}/").status_code == 404
    assert (
        client.post(f"/advertiser/conversions/{theirs.id}/", {"action": "approve"}).status_code
        == 404
    )
    theirs.refresh_from_db()
    assert theirs.status == "pending"
    listing = client.get("/advertiser/conversions/").content.decode()
    assert net.other_offer.name not in listing


def test_an_advertiser_sees_only_its_own_offers(net):
    page = client_as(net.advertiser_user).get("/advertiser/").content.decode()
    assert net.offer.name in page
    assert net.other_offer.name not in page


def test_a_publishers_report_never_shows_revenue_and_its_csv_link_is_the_api(net):
    response = client_as(net.publisher_user).get("/reports/")
    assert response.status_code == 200
    report = response.context["report"]
    assert "revenue" not in report.columns and "profit" not in report.columns
    assert response.context["csv_url"].startswith("/api/v1/reports/?")
    csv = client_as(net.publisher_user).get(response.context["csv_url"])
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")


def test_finance_reads_batches_but_a_manager_cannot_build_one(net):
    client = client_as(net.manager)
    assert client.get("/finance/").status_code == 200
    response = client.post("/finance/batches/build/", {"currency": "USD"})
    assert b"Only finance may do this (batch.build)." in response.content
