"""The advertiser's view: conversions with their explanations, approving pending ones, and
postback set-up (secret shown once, an HMAC example that the callback endpoint accepts)."""

import re
from decimal import Decimal
from urllib.parse import urlencode

from offers.secret_box import secret_decrypt
from payouts.models import LedgerEntry
from tests import factories
from tests.portal.conftest import client_as
from tests.tracking.conversions.signing import signed_v1


def test_a_conversion_page_shows_why_it_was_decided(net):
    conversion = factories.ConversionFactory(
        goal=net.goal,
        publisher=net.publisher,
        status="pending",
        explanation=[
            {"check": "window", "ok": True, "detail": "12 s after the click"},
            {"check": "approval", "ok": True, "detail": "held for review"},
        ],
    )
    page = client_as(net.advertiser_user).get(f"/advertiser/conversions/{conversion.id}/")
    text = page.content.decode()
    assert "12 s after the click" in text and "held for review" in text
    assert "Save decision" in text


def test_approving_a_conversion_held_for_its_approval_earns_the_publisher_its_payout(net):
    conversion = factories.ConversionFactory(
        goal=net.goal,
        publisher=net.publisher,
        status="pending",
        reject_reason="advertiser_approval",
        payout=Decimal("7.00"),
    )
    response = client_as(net.advertiser_user).post(
        f"/advertiser/conversions/{conversion.id}/", {"action": "approve"}, follow=True
    )
    assert f"Conversion {conversion.id} approved." in response.content.decode()
    conversion.refresh_from_db()
    assert conversion.status == "approved"
    [entry] = LedgerEntry.objects.filter(conversion=conversion)
    assert (entry.kind, entry.amount) == ("earning", Decimal("7.00"))
    assert conversion.history.get().actor == net.advertiser_user


def test_rejecting_a_pending_conversion_records_the_reason(net):
    conversion = factories.ConversionFactory(
        goal=net.goal, publisher=net.publisher, status="pending"
    )
    client_as(net.advertiser_user).post(
        f"/advertiser/conversions/{conversion.id}/", {"action": "reject", "reason": "fraud"}
    )
    conversion.refresh_from_db()
    assert conversion.status == "rejected"
    assert conversion.history.get().reason == "fraud"
    assert not LedgerEntry.objects.filter(conversion=conversion).exists()


def test_the_conversions_list_filters_by_status(net):
    pending = factories.ConversionFactory(goal=net.goal, publisher=net.publisher, status="pending")
    approved = factories.ConversionFactory(goal=net.goal, publisher=net.publisher)
    page = client_as(net.advertiser_user).get("/advertiser/conversions/?status=pending")
    ids = [conversion.id for conversion in page.context["page"]]
    assert ids == [pending.id]
    assert approved.id not in ids


def test_rotating_the_secret_shows_it_once_and_keeps_it_only_encrypted(net):
    client = client_as(net.advertiser_user)
    response = client.post("/advertiser/postback/rotate/")
    assert response["Cache-Control"] == "no-store"
    secret = re.search(
        r'id="secret" type="text" readonly value="([^"]+)"', response.content.decode()
    )[1]
    net.advertiser.refresh_from_db()
    assert net.advertiser.postback_secret_hash == ""
    assert secret not in net.advertiser.postback_secret_encrypted
    assert secret_decrypt(net.advertiser.postback_secret_encrypted) == secret
    assert secret not in client.get("/advertiser/postback/").content.decode()
    assert (
        net.advertiser.postback_secret_prefix
        in client.get("/advertiser/postback/").content.decode()
    )


def test_the_hmac_example_is_what_the_callback_endpoint_computes(net):
    page = client_as(net.advertiser_user).get("/advertiser/postback/").content.decode()
    shown = re.search(r'id="example-signature">([0-9a-f]{64})<', page)[1]
    # Computed once by hand, as the advertiser would, from the secret it was shown (a legacy
    # secret, so signature v1, keyed by sha256_hex(secret)):
    #   key = hashlib.sha256(b"pbs_portal-test-secret").hexdigest().encode()
    #   hmac.new(key, b"1700000000\nGET\n/postback\namount=49.90"
    #            b"&click_id=01JA0000000000000000000000&goal=sale&txn_id=order-1001",
    #            hashlib.sha256).hexdigest()
    assert shown == "9bbb2f088f6643e8840d516f675ef3766cf9ef7330efd35d363b16da405f8a09"
    assert 'sha256=<span id="example-signature">' in page


def test_a_callback_signed_as_the_page_explains_is_accepted(net, client):
    """The instructions work end to end: a request signed with sha256_hex(secret) as the key
    (by Python's hmac module, not the code under test) is stored in the inbox (answered 2xx),
    one with another key is refused."""
    click = factories.ClickFactory(offer_id=net.offer.id, publisher_id=net.publisher.id)
    params = [("click_id", click.click_id), ("goal", "sale"), ("txn_id", "order-1")]
    signed = signed_v1("/postback", params, secret="pbs_portal-test-secret")
    timestamp, good = signed["HTTP_X_AFFNET_TIMESTAMP"], signed["HTTP_X_AFFNET_SIGNATURE"]
    headers = {"HTTP_X_AFFNET_TIMESTAMP": timestamp}
    bad = client.get(f"/postback?{urlencode(params)}", HTTP_X_AFFNET_SIGNATURE="0" * 64, **headers)
    assert bad.status_code in (401, 403)
    ok = client.get(f"/postback?{urlencode(params)}", HTTP_X_AFFNET_SIGNATURE=good, **headers)
    assert ok.status_code == 200, ok.content
