"""Managers see why a conversion was held and decide the queue in bulk; partners see a reason
code only; rules edited in the API apply to new conversions only."""

from payouts.models import LedgerEntry
from tests import factories
from tests.conftest import client_for
from tests.fraud.traffic import addresses, of
from tracking.models import Conversion


def _held(net) -> list[Conversion]:
    flood = net.clicks("bad", ips=["8.8.8.8"] * 12)
    net.convert(flood[-2:], later=120)
    held = of(flood[-2:])
    assert {c.reject_reason for c in held} == {"fraud_review"}
    return held


def _users(net) -> dict:
    publisher = net.links["bad"].publisher
    return {
        "manager": client_for(factories.ManagerFactory()),
        "publisher": client_for(factories.PublisherUserFactory(publisher=publisher)),
        "advertiser": client_for(factories.AdvertiserUserFactory(advertiser=net.offer.advertiser)),
    }


def test_the_queue_shows_the_evidence_and_is_decided_in_bulk_with_a_reason(net):
    held = _held(net)
    api = _users(net)
    body = api["manager"].get("/api/v1/review-queue/").json()
    items = body["results"] if isinstance(body, dict) else body
    assert [item["id"] for item in items] == [c.pk for c in held]
    evidence = items[0]["evidence"]
    assert evidence["click"]["ip"] == "8.8.8.8"
    assert evidence["click"]["signals"]["ip_velocity"] >= 10
    assert {s["id"] for s in evidence["siblings"]} == {held[1].pk}
    assert evidence["siblings"][0]["same"] == "device"
    assert items[0]["fraud"]["fired"][0]["source"] == "default"

    for who in ("publisher", "advertiser"):
        assert api[who].get("/api/v1/review-queue/").status_code == 403
        refused = api[who].post(
            "/api/v1/review-queue/decide/",
            {"ids": [held[0].pk], "decision": "approve", "reason": "ok"},
            format="json",
        )
        assert refused.status_code == 403
    no_reason = api["manager"].post(
        "/api/v1/review-queue/decide/", {"ids": [held[0].pk], "decision": "approve"}, format="json"
    )
    assert no_reason.status_code == 400

    decided = api["manager"].post(
        "/api/v1/review-queue/decide/",
        {"ids": [c.pk for c in held], "decision": "approve", "reason": "known office NAT"},
        format="json",
    )
    assert decided.status_code == 200, decided.content
    assert {c.status for c in of_ids(held)} == {"approved"}
    assert LedgerEntry.objects.filter(conversion__in=held).count() == 2
    again = api["manager"].post(
        "/api/v1/review-queue/decide/",
        {"ids": [held[0].pk], "decision": "reject", "reason": "changed my mind"},
        format="json",
    )
    assert again.status_code == 409  # decided already: nothing is decided twice


def of_ids(conversions):
    return list(Conversion.objects.filter(pk__in=[c.pk for c in conversions]))


def test_partners_see_a_reason_code_and_no_evidence(net):
    held = _held(net)[0]
    api = _users(net)
    mine = api["publisher"].get(f"/api/v1/conversions/{held.pk}/").json()
    assert mine["reject_reason"] == "fraud_review"
    assert "fraud" not in mine and "explanation" not in mine
    theirs = api["advertiser"].get(f"/api/v1/conversions/{held.pk}/").json()
    assert "fraud" not in theirs
    assert not [s for s in theirs["explanation"] if s["check"] == "fraud"]  # a hold: nothing
    staff = api["manager"].get(f"/api/v1/conversions/{held.pk}/").json()
    assert staff["fraud"]["fired"]


def test_an_offer_rule_set_in_the_api_rejects_new_conversions_only(net):
    before = _held(net)[0]
    api = _users(net)
    assert (
        api["publisher"]
        .post("/api/v1/fraud-rules/", {"signal": "ip_velocity", "threshold": 3, "action": "reject"})
        .status_code
        == 403
    )
    made = api["manager"].post(
        "/api/v1/fraud-rules/",
        {"offer": net.offer.pk, "signal": "ip_velocity", "threshold": 3, "action": "reject"},
        format="json",
    )
    assert made.status_code == 201, made.content
    bad_threshold = api["manager"].post(
        "/api/v1/fraud-rules/",
        {"signal": "ip_velocity", "threshold": "many", "action": "hold"},
        format="json",
    )
    assert bad_threshold.status_code == 400

    flood = net.clicks("bad", ips=addresses("8.8.8", 1) * 3)
    net.convert(flood[-1:], later=120)
    after = of(flood[-1:])[0]
    assert (after.status, after.reject_reason) == ("rejected", "fraud_ip_velocity")
    assert after.fraud["rules_version"] > before.fraud["rules_version"]
    before.refresh_from_db()
    assert before.reject_reason == "fraud_review"  # judged by the rules of its time

    theirs = api["advertiser"].get(f"/api/v1/conversions/{after.pk}/").json()
    shown = [s for s in theirs["explanation"] if s["check"] == "fraud"]
    assert shown == [{"check": "fraud", "ok": False, "reason_code": "fraud_ip_velocity"}]
