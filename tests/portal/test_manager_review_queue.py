"""The manager's review queue page (/network/review-queue/): each held conversion with its
evidence (the signals in words with the rule that fired, the click, sibling conversions from the
same address or device), decided in bulk with a reason through the service the API's decide
calls (all or none, the money policy asked for each); publishers and advertisers refused."""

from datetime import timedelta

from django.utils import timezone

from payouts.models import LedgerEntry
from tests import factories
from tests.portal.conftest import client_as
from tracking.models import Conversion

URL = "/network/review-queue/"
DECIDE = "/network/review-queue/decide/"
UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"
FRAUD = {
    "action": "hold",
    "reason_code": "fraud_ip_velocity",
    "signals": {
        "ip_velocity": 12,
        "repeated_clicks_ip": 14,
        "advertiser_rejection_rate": 0.25,
        "country_mismatch": False,
        "sub_id_anomaly": None,
        "click_to_conversion_seconds": 120.0,
    },
    "fired": [
        {
            "signal": "ip_velocity",
            "value": 12,
            "threshold": 10,
            "action": "hold",
            "source": "default",
            "rule_id": None,
        }
    ],
    "rules_version": 3,
}


def _held(net, ip: str, **fields) -> Conversion:
    click = factories.ClickFactory(
        offer_id=net.offer.id, publisher_id=net.publisher.id, ip=ip, user_agent=UA, country="DE"
    )
    return factories.ConversionFactory(
        goal=net.goal,
        publisher=net.publisher,
        click_id=click.click_id,
        click_created_at=click.created_at,
        status=Conversion.Status.PENDING,
        reject_reason=Conversion.HoldReason.FRAUD_REVIEW,
        fraud=FRAUD,
        **fields,
    )


def _statuses(conversions) -> set[str]:
    return set(
        Conversion.objects.filter(id__in=[c.id for c in conversions]).values_list(
            "status", flat=True
        )
    )


def test_the_page_shows_each_held_conversion_with_its_evidence_in_words(net):
    first = _held(net, "203.0.113.9")
    second = _held(net, "203.0.113.9")
    factories.ConversionFactory(goal=net.goal, publisher=net.publisher)  # approved: not held

    response = client_as(net.manager).get(URL)

    assert response.status_code == 200
    assert [item["conversion"].id for item in response.context["items"]] == [first.id, second.id]
    page = response.content.decode()
    words = response.context["items"][0]["signals"]
    assert words[0]["name"] == "ip_velocity" and words[0]["fired"]
    assert words[0]["rule"] == "held for review at 10 or more (default)"
    assert "clicks from the address on this offer and publisher in the last minute" in page
    assert {w["name"]: w["value"] for w in words}["advertiser_rejection_rate"] == "25%"
    assert "country_mismatch" not in {w["name"] for w in words}  # says nothing: left out
    assert "203.0.113.9" in page and "(DE)" in page
    evidence = response.context["items"][0]["evidence"]
    assert [(s["id"], s["same"]) for s in evidence["siblings"]] == [(second.id, "device")]
    assert f'href="/network/conversions/{second.id}/"' in page


def test_the_queue_filters_by_offer_and_publisher(net):
    held = _held(net, "203.0.113.20")
    manager = client_as(net.manager)

    def shown(**query) -> list[int]:
        return [item["conversion"].id for item in manager.get(URL, query).context["items"]]

    assert shown(offer=net.offer.id) == shown(publisher=net.publisher.id) == [held.id]
    assert shown(offer=net.other_offer.id) == shown(publisher=net.other_publisher.id) == []


def test_approving_in_bulk_with_a_reason_books_the_earnings(net):
    held = [_held(net, "203.0.113.30"), _held(net, "203.0.113.31")]
    manager = client_as(net.manager)

    response = manager.post(
        DECIDE,
        {"ids": [c.id for c in held], "decision": "approve", "reason": "known office NAT"},
        follow=True,
    )

    assert response.status_code == 200
    assert "2 conversion(s) approved." in response.content.decode()
    assert _statuses(held) == {"approved"}
    assert LedgerEntry.objects.filter(conversion_id__in=[c.id for c in held]).count() == 2
    reasons = {
        c.history.order_by("-id").first().reason
        for c in Conversion.objects.filter(id__in=[c.id for c in held])
    }
    assert reasons == {"known office NAT"}
    assert manager.get(URL).context["items"] == []


def test_rejecting_needs_a_reason_and_a_confirmation(net):
    held = [_held(net, "203.0.113.40")]
    manager = client_as(net.manager)
    for data in (
        {"decision": "reject", "reason": "click farm"},  # no confirmation
        {"decision": "reject", "confirm": "on"},  # no reason
        {"decision": "approve", "reason": "   "},  # a blank reason
    ):
        response = manager.post(DECIDE, {"ids": [held[0].id], **data})
        assert response.status_code == 302
        assert _statuses(held) == {"pending"}

    manager.post(
        DECIDE, {"ids": [held[0].id], "decision": "reject", "reason": "click farm", "confirm": "on"}
    )
    assert _statuses(held) == {"rejected"}
    assert not LedgerEntry.objects.filter(conversion_id=held[0].id).exists()


def test_a_conversion_decided_meanwhile_fails_the_whole_decision(net):
    held = [_held(net, "203.0.113.50"), _held(net, "203.0.113.51")]
    Conversion.objects.filter(id=held[1].id).update(
        status=Conversion.Status.APPROVED, reject_reason="", updated_at=timezone.now()
    )
    manager = client_as(net.manager)

    response = manager.post(
        DECIDE, {"ids": [c.id for c in held], "decision": "approve", "reason": "ok"}, follow=True
    )

    assert "no longer held for review" in response.content.decode()
    assert Conversion.objects.get(id=held[0].id).status == "pending"
    assert not LedgerEntry.objects.filter(conversion_id=held[0].id).exists()


def test_a_conversion_held_for_another_reason_is_not_decided_here(net):
    other = factories.ConversionFactory(
        goal=net.goal,
        publisher=net.publisher,
        status=Conversion.Status.PENDING,
        reject_reason="pixel",
        created_at=timezone.now() - timedelta(hours=1),
    )
    client_as(net.manager).post(DECIDE, {"ids": [other.id], "decision": "approve", "reason": "x"})
    assert Conversion.objects.get(id=other.id).status == "pending"


def test_publishers_and_advertisers_are_refused(net):
    held = [_held(net, "203.0.113.60")]
    for user in (net.publisher_user, net.advertiser_user):
        client = client_as(user)
        assert client.get(URL).status_code == 403
        refused = client.post(DECIDE, {"ids": [held[0].id], "decision": "approve", "reason": "x"})
        assert refused.status_code == 403
    assert _statuses(held) == {"pending"}
    assert client_as(net.finance).get(URL).status_code == 403
    signed_out = client_as(net.manager)
    signed_out.logout()
    assert signed_out.get(URL).status_code == 302
