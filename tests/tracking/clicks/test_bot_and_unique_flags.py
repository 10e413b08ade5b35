import pytest

from tests.tracking.clicks.visits import BROWSER_UA, IPHONE_UA, ingest, visit
from tracking.models import Click

pytestmark = pytest.mark.django_db


def test_a_crawler_user_agent_is_flagged_as_a_bot_but_still_redirected(client, link):
    response = visit(
        client,
        f"/c/{link.code}",
        ua="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    )
    assert response.status_code == 302
    ingest()
    assert Click.objects.get().is_bot is True


def test_a_browser_is_not_a_bot_and_an_empty_user_agent_is(client, link):
    visit(client, f"/c/{link.code}", ua=BROWSER_UA)
    visit(client, f"/c/{link.code}", ua="")
    ingest()
    assert sorted(Click.objects.values_list("is_bot", flat=True)) == [False, True]


def test_the_same_ip_and_browser_on_the_same_link_within_a_day_is_not_unique(client, link):
    for _ in range(3):
        visit(client, f"/c/{link.code}", ip="198.51.100.1")
    visit(client, f"/c/{link.code}", ip="198.51.100.2")
    visit(client, f"/c/{link.code}", ip="198.51.100.1", ua=IPHONE_UA)
    ingest()
    rows = list(Click.objects.order_by("id").values_list("ip", "is_unique"))
    assert rows == [
        ("198.51.100.1", True),
        ("198.51.100.1", False),
        ("198.51.100.1", False),
        ("198.51.100.2", True),
        ("198.51.100.1", True),  # another browser
    ]


def test_the_same_visitor_on_another_publishers_link_is_unique_there(client, link):
    from tests import factories

    other = factories.TrackingLinkFactory(offer=link.offer)
    visit(client, f"/c/{link.code}")
    visit(client, f"/c/{other.code}")
    ingest()
    assert list(Click.objects.values_list("is_unique", flat=True)) == [True, True]
