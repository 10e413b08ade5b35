"""Access requests on the manager desk: pending ones listed first, decided in bulk (POST then
redirect back to the same filtered list), other roles refused."""

import pytest

from affiliates.models import OfferAccess
from tests import factories
from tests.portal.conftest import client_as


def _requests(net) -> list[OfferAccess]:
    return [
        factories.OfferAccessFactory(publisher=publisher, offer=net.approval_offer, message="hi")
        for publisher in (net.publisher, net.other_publisher)
    ]


def test_pending_requests_are_listed_with_names_and_decided_in_bulk(net):
    blue, red = _requests(net)
    decided = factories.OfferAccessFactory(
        publisher=net.publisher, offer=net.private_offer, status="approved"
    )
    manager = client_as(net.manager)
    page = manager.get("/network/access-requests/")
    assert [access.id for access in page.context["page"]] == [red.id, blue.id]
    assert decided.id not in [access.id for access in page.context["page"]]
    html = page.content.decode()
    assert "Blue Media" in html and "Acme VIP" in html and 'scope="col"' in html

    response = manager.post(
        "/network/access-requests/decide/",
        {"ids": [blue.id, red.id], "decision": "approved", "next": page.context["next"]},
    )
    assert response.status_code == 302
    assert response["Location"] == "/network/access-requests/?status=requested"
    assert set(
        OfferAccess.objects.filter(id__in=[blue.id, red.id]).values_list("status", flat=True)
    ) == {"approved"}
    blue.refresh_from_db()
    assert blue.decided_by == net.manager
    assert "2 request(s) approved." in manager.get(response["Location"]).content.decode()


def test_a_bulk_reject_can_be_filtered_by_offer_and_publisher(net):
    blue, red = _requests(net)
    manager = client_as(net.manager)
    page = manager.get("/network/access-requests/", {"publisher": net.other_publisher.id})
    assert [access.id for access in page.context["page"]] == [red.id]
    manager.post("/network/access-requests/decide/", {"ids": [red.id], "decision": "rejected"})
    red.refresh_from_db()
    blue.refresh_from_db()
    assert (red.status, blue.status) == ("rejected", "requested")


def test_deciding_nothing_or_an_unknown_decision_changes_nothing_and_says_why(net):
    blue, _ = _requests(net)
    manager = client_as(net.manager)
    empty = manager.post("/network/access-requests/decide/", {"decision": "approved"}, follow=True)
    assert "Tick the requests to decide." in empty.content.decode()
    odd = manager.post(
        "/network/access-requests/decide/", {"ids": [blue.id], "decision": "maybe"}, follow=True
    )
    assert "Choose approve or reject." in odd.content.decode()
    blue.refresh_from_db()
    assert blue.status == "requested"


def test_an_outside_next_address_is_not_followed(net):
    blue, _ = _requests(net)
    response = client_as(net.manager).post(
        "/network/access-requests/decide/",
        {"ids": [blue.id], "decision": "approved", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/network/access-requests/"


@pytest.mark.parametrize("who", ["publisher_user", "advertiser_user", "finance"])
def test_other_roles_cannot_list_or_decide_requests_here(net, who):
    blue, _ = _requests(net)
    client = client_as(getattr(net, who))
    assert client.get("/network/access-requests/").status_code == 403
    response = client.post(
        "/network/access-requests/decide/", {"ids": [blue.id], "decision": "approved"}
    )
    assert response.status_code == 403
    blue.refresh_from_db()
    assert blue.status == "requested"


def test_a_decision_without_the_csrf_token_is_refused(net):
    blue, _ = _requests(net)
    response = client_as(net.manager).post(
        "/network/access-requests/decide/",
        {"ids": [blue.id], "decision": "approved"},
        csrf_token=False,
    )
    assert response.status_code == 403
    blue.refresh_from_db()
    assert blue.status == "requested"
