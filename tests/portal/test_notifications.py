"""Notifications: the services tell the people concerned (a batch waiting for approval, a
payout sent, access asked for and decided, conversions held, a cap reached, postbacks given
up on), each sees only its own in the portal's list, and chooses which kinds come by email."""

from datetime import timedelta
from decimal import Decimal

from django.core import mail
from django.utils import timezone

from accounts.models import Notification
from accounts.notifications import notify, recipients
from accounts.tasks import notification_emails_send
from offers.services import offer_access_decide, offer_access_request
from payouts.services import payout_batch_build, payout_batch_mark_paid
from tests import factories
from tests.payouts.conftest import approve, entry_write
from tests.portal.conftest import client_as
from tracking.attribution.notices import people_tell


def _kinds(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_a_built_batch_tells_the_other_finance_users_and_paying_it_tells_the_publisher(net):
    net.publisher.minimum_payout = Decimal("1")
    net.publisher.hold_days = None
    net.publisher.save()
    entry_write(publisher=net.publisher, amount="40.00", at=timezone.now() - timedelta(days=40))
    batch = payout_batch_build(currency="USD", built_by=net.finance)
    assert _kinds(net.other_finance) == ["batch_waiting"]
    assert _kinds(net.finance) == []  # the builder knows
    approve(batch_id=batch.id, approved_by=net.other_finance)
    payout_batch_mark_paid(batch_id=batch.id, paid_by=net.other_finance)
    sent = Notification.objects.get(user=net.publisher_user, kind="payout_sent")
    assert "40" in sent.text and sent.url == "/publisher/payouts/"
    assert _kinds(net.other_publisher_user) == []


def test_an_access_request_tells_managers_and_the_advertiser_and_the_decision_the_publisher(net):
    access = offer_access_request(publisher=net.publisher, offer=net.approval_offer)
    assert _kinds(net.manager) == ["access_request"]
    assert _kinds(net.advertiser_user) == ["access_request"]
    assert _kinds(net.other_advertiser_user) == []
    offer_access_decide(access=access, status="approved", decided_by=net.manager)
    decided = Notification.objects.get(user=net.publisher_user)
    assert decided.text == "Your access to Acme VIP is approved."


def test_held_conversions_and_a_full_cap_tell_the_advertiser_or_the_managers(net):
    mine = factories.ConversionFactory(
        goal=net.goal, status="pending", reject_reason="advertiser_approval"
    )
    fraud = factories.ConversionFactory(
        goal=net.goal, status="pending", reject_reason="fraud_review"
    )
    cap = factories.CapFactory(offer=net.offer, metric="payout")
    people_tell(held=[mine, fraud], caps_filled=[cap.pk])
    assert Notification.objects.get(user=net.advertiser_user).text == (
        "1 new conversion wait for your approval."
    )
    assert sorted(_kinds(net.manager)) == ["cap_reached", "conversion_held"]
    # A payout cap is the network's business: the advertiser is not told of it.
    assert "cap_reached" not in _kinds(net.advertiser_user)


def test_each_user_reads_only_its_own_notifications_and_marks_them_read(net):
    notify(users=[net.publisher_user], kind="payout_sent", text="Paid: 40.00 USD", url="/")
    notify(users=[net.other_publisher_user], kind="payout_sent", text="Paid: 99.00 USD")
    client = client_as(net.publisher_user)
    page = client.get("/notifications/").content.decode()
    assert "Paid: 40.00 USD" in page and "99.00" not in page
    assert 'id="nav-notifications">Notifications <span' in page
    response = client.post("/notifications/read/")
    assert response.status_code == 302
    assert not Notification.objects.filter(user=net.publisher_user, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=net.other_publisher_user, read_at__isnull=True).exists()


def test_email_goes_only_for_the_kinds_a_user_keeps_ticked(net):
    client = client_as(net.publisher_user)
    assert 'value="payout_sent" checked' in client.get("/notifications/settings/").content.decode()
    client.post("/notifications/settings/", {"email": ["access_decision"]})
    page = client.get("/notifications/settings/").content.decode()
    assert 'value="payout_sent" checked' not in page
    assert 'value="access_decision" checked' in page

    muted = notify(users=[net.publisher_user], kind="payout_sent", text="Paid")
    wanted = notify(users=[net.publisher_user], kind="access_decision", text="Approved")
    net.publisher_user.email = "blue@pub.example"
    net.publisher_user.save()
    assert notification_emails_send(notification_ids=[muted[0].pk, wanted[0].pk]) == 1
    assert [message.subject for message in mail.outbox] == ["Affnet: Approved"]
    # A re-delivered task sends nothing again.
    assert notification_emails_send(notification_ids=[wanted[0].pk]) == 0


def test_recipients_never_include_inactive_users_or_other_organisations(net):
    net.advertiser_user.is_active = False
    net.advertiser_user.save()
    assert list(recipients(advertiser_id=net.advertiser.id)) == []
    assert set(recipients(roles=["finance"])) == {net.finance, net.other_finance}
