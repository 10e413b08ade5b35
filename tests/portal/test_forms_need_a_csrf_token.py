"""Every POST form of the portal refuses a POST without its CSRF token (403) and changes
nothing; the same POST with the token gets past the check. The page tests' client has CSRF
checks on (tests/portal/conftest.py), so they all post the token as a browser does."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from offers.models import Advertiser
from payouts.models import PayoutBatch
from tests.portal.conftest import PortalClient, client_as

# (url name, its arguments, who posts, form data): every form that posts in the portal.
POST_FORMS = [
    ("login", {}, None, {"username": "acme", "password": "correct horse battery"}),
    ("logout", {}, "publisher_user", {}),
    ("publisher-offer", {"offer_id": "net.offer"}, "publisher_user", {"sub1": "a"}),
    ("publisher-offer-request", {"offer_id": "net.approval_offer"}, "publisher_user", {}),
    ("publisher-postback-new", {}, "publisher_user", {"url": "https://pub.example/pb"}),
    ("publisher-postback-edit", {"template_id": 1}, "publisher_user", {}),
    ("publisher-postback-test", {"template_id": 1}, "publisher_user", {}),
    ("publisher-delivery-resend", {"delivery_id": 1}, "publisher_user", {}),
    ("publisher-payout-details", {}, "publisher_user", {"payout_method": "paypal"}),
    ("publisher-tax-forms", {}, "publisher_user", {"kind": "w9"}),
    ("advertiser-conversion", {"conversion_id": 1}, "advertiser_user", {"action": "approve"}),
    ("advertiser-postback-rotate", {}, "advertiser_user", {}),
    ("finance-batch-build", {}, "finance", {"currency": "USD"}),
    ("finance-batch-approve", {"batch_id": 1}, "finance", {}),
    ("finance-batch-export", {"batch_id": 1}, "finance", {"export_format": "standard"}),
    ("finance-batch-mark-paid", {"batch_id": 1}, "finance", {}),
    ("finance-line-fail", {"batch_id": 1, "line_id": 1, "verb": "request"}, "finance", {}),
    ("finance-payout-details-change", {"change_id": 1, "verb": "confirm"}, "finance", {}),
    ("finance-adjustment-request", {"request_id": 1, "verb": "confirm"}, "finance", {}),
    # The books and billing (portal/views/books.py, billing.py).
    ("finance-period", {"month": "2026-01", "verb": "validate"}, "finance", {}),
    ("finance-period", {"month": "2026-01", "verb": "reopen"}, "finance", {"reason": "x"}),
    ("finance-tax-form", {"form_id": 1, "verb": "accept"}, "finance", {}),
    ("finance-invoice-draft", {}, "finance", {"month": "2026-01"}),
    ("finance-invoice-issue", {"invoice_id": 1}, "finance", {}),
    ("finance-invoice-pay", {"invoice_id": 1}, "finance", {"amount": "1.00"}),
    # Getting in (portal/views/account.py, people.py).
    ("login-as", {}, None, {"username": "maria"}),
    ("sign-up", {}, None, {"company": "New Media"}),
    ("invitation-accept", {"token": "no-such-token"}, None, {"username": "new"}),
    ("two-factor", {}, "publisher_user", {"token": "000000"}),
    ("two-factor-verify", {}, "publisher_user", {"token": "000000"}),
    ("two-factor-remove", {}, "publisher_user", {}),
    ("password-reset", {}, None, {"email": "nobody@example.com"}),
    ("password-reset-confirm", {"uidb64": "MQ", "token": "set-password"}, None, {}),
    (
        "network-sign-up-decide",
        {"publisher_id": "net.publisher", "verb": "approve"},
        "manager",
        {},
    ),
    ("network-invitations", {}, "manager", {"email": "new@example.com"}),
    # The manager desk (portal/views/manager_*.py).
    ("manager-offer-new", {}, "manager", {"name": "Forged"}),
    ("manager-offer", {"offer_id": "net.offer"}, "manager", {"part": "offer"}),
    ("manager-override-end", {"offer_id": "net.offer", "override_id": 1}, "manager", {}),
    ("manager-access-decide", {}, "manager", {"decision": "approved"}),
    ("manager-conversions-bulk", {}, "manager", {"action": "approve"}),
    ("manager-conversion", {"conversion_id": 1}, "manager", {"action": "approve"}),
    ("manager-review-decide", {}, "manager", {"decision": "approve"}),
    ("manager-revenue-cut-approve", {"request_id": 1}, "manager", {"approve-1-confirm": "on"}),
    (
        "manager-revenue-cut-reject",
        {"request_id": 1},
        "manager",
        {"reject-1-rejection_reason": "x"},
    ),
    # Monthly validation (portal/views/validation.py).
    ("validation", {}, "advertiser_user", {}),
    ("validation-apply", {}, "advertiser_user", {"csv": "txn_id,decision\nX,approve\n"}),
    # The advertiser's desk (portal/views/advertiser_desk.py).
    ("advertiser-access-decide", {"access_id": 1}, "advertiser_user", {"decision": "approved"}),
    ("advertiser-offer", {"offer_id": "net.offer"}, "advertiser_user", {"part": "offer"}),
    # API keys (portal/views/api_keys.py).
    ("api-keys", {}, "publisher_user", {"name": "forged"}),
    ("api-key-revoke", {"key_id": 1}, "publisher_user", {}),
    # Notifications (portal/views/notifications.py).
    ("notifications-read", {}, "publisher_user", {}),
    ("notification-settings", {}, "publisher_user", {"email": "payout_sent"}),
    # Personal data (portal/views/personal_data.py).
    ("personal-data-request", {}, "publisher_user", {}),
    ("personal-data-erase", {"request_id": 1}, "finance", {}),
    # The sandbox (portal/views/sandbox.py).
    ("sandbox-link-new", {}, "publisher_user", {"offer": "1"}),
    ("sandbox-link-reset", {"link_id": 1}, "publisher_user", {}),
    # Creatives and smart links (portal/views/creative_pages.py).
    ("publisher-smart-links", {}, "publisher_user", {"name": "forged"}),
    ("manager-creative-decide", {"creative_id": 1, "verb": "approve"}, "manager", {}),
    ("advertiser-creatives", {}, "advertiser_user", {"name": "forged"}),
    ("advertiser-creative-image", {"creative_id": 1}, "advertiser_user", {}),
    (
        "sandbox-trace-send",
        {"click_id": "01M8SQKD8BTEST1M0JKB7H466H"},
        "publisher_user",
        {"dialect": "s2s"},
    ),
]


def _request(net, name, kwargs, who):
    kwargs = {
        k: getattr(net, v.removeprefix("net.")).id if str(v).startswith("net.") else v
        for k, v in kwargs.items()
    }
    client = PortalClient() if who is None else client_as(getattr(net, who))
    return client, reverse(f"portal:{name}", kwargs=kwargs)


@pytest.mark.parametrize(
    ("name", "kwargs", "who", "data"), POST_FORMS, ids=[f[0] for f in POST_FORMS]
)
def test_a_post_without_the_csrf_token_is_refused(net, name, kwargs, who, data):
    client, url = _request(net, name, kwargs, who)
    client.csrf_token()  # it has the cookie, as a visitor of the site would; the form lacks it

    refused = client.post(url, data, csrf_token=False)
    assert refused.status_code == 403, (url, refused.status_code)
    assert b"CSRF" in refused.content

    allowed = client.post(url, data)
    assert allowed.status_code != 403 or b"CSRF" not in allowed.content, url


def test_a_forged_build_or_secret_rotation_changes_nothing(net):
    finance = client_as(net.finance)
    assert (
        finance.post("/finance/batches/build/", {"currency": "USD"}, csrf_token=False).status_code
        == 403
    )
    assert not PayoutBatch.objects.exists()

    before = Advertiser.objects.values_list("postback_secret_hash", flat=True).get(
        id=net.advertiser.id
    )
    advertiser = client_as(net.advertiser_user)
    assert advertiser.post("/advertiser/postback/rotate/", csrf_token=False).status_code == 403
    after = Advertiser.objects.get(id=net.advertiser.id)
    assert (after.postback_secret_hash, after.postback_secret_encrypted) == (before, "")


def test_every_form_of_the_portal_is_in_the_list_above():
    """A new form without a CSRF test fails here: each <form method="post"> names its target
    (or posts to its own page, whose template is named after it)."""
    covered = {name for name, *_ in POST_FORMS}
    own_page = {
        "login.html": "login",
        "postback_form.html": "publisher-postback-new",
        "payout_details.html": "publisher-payout-details",
        "offer_detail.html": "publisher-offer",
        "conversion_detail.html": "advertiser-conversion",
        "sign_up.html": "sign-up",
        "invitation_accept.html": "invitation-accept",
        "two_factor.html": "two-factor",
        "two_factor_verify.html": "two-factor-verify",
        "password_reset_form.html": "password-reset",
        "password_reset_confirm.html": "password-reset-confirm",
        "invitations.html": "network-invitations",
        "offer_new.html": "manager-offer-new",
        "offer_edit.html": "manager-offer",
        "conversion.html": "manager-conversion",
        "offer_page.html": "advertiser-offer",
        # Included by both offer pages (each is in the list above).
        "_goals.html": "manager-offer",
        "_caps.html": "manager-offer",
        "_ask_network.html": "advertiser-offer",
        "_targeting.html": "manager-offer",
        "_add.html": "manager-offer",
        "own.html": "api-keys",
    }
    templates = Path(__file__).resolve().parents[2] / "portal" / "templates"
    found = set()
    for template in templates.rglob("*.html"):
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>", template.read_text()):
            target = re.search(r"{% url 'portal:([\w-]+)'", form)
            found.add(target[1] if target else own_page[template.name])
    assert found and found <= covered, found - covered
