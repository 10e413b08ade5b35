"""seed_demo: the demo network, idempotent, as JSON for scripts/run_embedded.py."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.demo_users import ADMIN_USERNAME, DEMO_USERNAMES
from accounts.models import User
from affiliates.models import ApiKey, PayoutDetailsChange, Publisher
from offers.models import Advertiser, Offer, Terms
from ops.demo import DEMO_OPENING_BALANCE
from payouts.models import AccountingPeriod
from payouts.services import payout_batch_build
from tracking.models import TrackingLink


def seed() -> dict:
    out = StringIO()
    call_command("seed_demo", "--json", stdout=out)
    return json.loads(out.getvalue())


def table_counts() -> dict:
    models = [User, Advertiser, Offer, Terms, Publisher, ApiKey, TrackingLink]
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.sqlite
@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing_and_prints_the_same():
    first = seed()
    counts = table_counts()
    second = seed()
    assert second == first
    assert table_counts() == counts
    assert counts["Advertiser"] == 2 and counts["Offer"] == 4 and counts["Publisher"] == 3
    assert set(first) >= {"admin", "api_keys", "links", "advertisers", "offers", "publishers"}
    kinds = {terms.payout_kind for terms in Terms.objects.all()}
    assert kinds == {"revshare", "cpa_flat", "cpa_plus_revshare"}
    assert Offer.objects.filter(visibility=Offer.Visibility.APPROVAL).count() == 1


@pytest.mark.sqlite
@pytest.mark.django_db
def test_the_demo_keys_and_admin_login_work():
    demo = seed()
    admin = User.objects.get(username=demo["admin"]["username"])
    assert admin.is_superuser and admin.check_password(demo["admin"]["password"])
    publishers = [key for key in demo["api_keys"] if key["role"] == "publisher"]
    assert len(publishers) == 3
    for key in demo["api_keys"]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key['key']}")
        me = client.get("/api/v1/me/")
        assert me.status_code == 200 and me.json()["role"] == key["role"]
    assert all(link["url"].split("/c/")[1] for link in demo["links"])
    assert {link["publisher_id"] for link in demo["links"]} == {p["id"] for p in demo["publishers"]}


@pytest.mark.sqlite
@pytest.mark.django_db
def test_the_demo_has_two_finance_users_and_a_manager_who_is_not_a_superuser():
    demo = seed()
    signed = {entry["username"]: entry for entry in demo["sign_ins"]}
    finance = [entry for entry in demo["sign_ins"] if entry["role"] == "finance"]
    assert len(finance) == 2
    manager = User.objects.get(username="manager")
    assert manager.role == "manager" and not manager.is_superuser
    for username, entry in signed.items():
        user = User.objects.get(username=username)
        assert user.check_password(entry["password"]), username
    assert {entry["role"] for entry in demo["sign_ins"]} == {
        "manager",
        "finance",
        "advertiser",
        "publisher",
    }


@pytest.mark.django_db
def test_the_demo_users_are_exactly_the_names_the_sign_in_as_page_lists():
    seed()
    seeded = set(User.objects.filter(is_superuser=False).values_list("username", flat=True))
    assert seeded == set(DEMO_USERNAMES)
    assert User.objects.filter(username=ADMIN_USERNAME, is_superuser=True).exists()


@pytest.mark.django_db
def test_the_demo_finance_users_can_build_a_batch_that_pays_every_publisher(settings):
    """With the production money settings (hold, period close, payee checks): the seed
    confirms each publisher's payout details by a second finance user, closes last month, and
    gives each an opening balance, so the demo shows the whole payout loop."""
    settings.PAYOUT_HOLD_DAYS = 30
    settings.PAYABLE_AFTER_CLOSE_DAYS = 0
    demo = seed()
    seed()  # idempotent: no second balance

    assert AccountingPeriod.objects.get(status="closed").closed_by.username == "finance2"
    changes = PayoutDetailsChange.objects.all()
    assert {(c.requested_by.username, c.decided_by.username) for c in changes} == {
        ("finance", "finance2")
    }
    batch = payout_batch_build(currency="USD", built_by=User.objects.get(username="finance"))
    assert batch.held == []
    assert set(batch.lines.values_list("publisher_id", "amount")) == {
        (p["id"], DEMO_OPENING_BALANCE) for p in demo["publishers"]
    }
