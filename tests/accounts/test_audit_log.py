"""The audit log: every configuration and money change, with who, when, before and after.

Entries are written by django-auditlog from model signals (accounts/audit/registry.py) and read
through GET /api/v1/audit/, scoped by role (accounts/audit/selectors.py).
"""

from decimal import Decimal

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from accounts.audit.registry import AUDITED, AUDITED_APPS, NOT_AUDITED
from accounts.models import Role, StaffChange, User
from accounts.services import user_create
from affiliates.models import ApiKey
from offers.models import Cap
from payouts.models import LedgerEntry
from tests import factories
from tests.conftest import client_for, signed_in

pytestmark = pytest.mark.django_db


def entries_of(model: str, object_id) -> list[LogEntry]:
    app_label, name = model.split(".")
    return list(
        LogEntry.objects.filter(
            content_type__app_label=app_label, content_type__model=name, object_pk=str(object_id)
        ).order_by("id")
    )


def audit_rows(client: APIClient, **params) -> list[dict]:
    response = client.get("/api/v1/audit/", params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_managers_change_of_an_offers_terms_through_the_api_is_logged_with_actor_before_and_after(
    manager,
    manager_client,
):
    terms = factories.TermsFactory()
    response = manager_client.patch(
        f"/api/v1/terms/{terms.pk}/",
        {"revenue_amount": "12.50", "payout_amount": "8.25"},
        format="json",
    )
    assert response.status_code == 200, response.content

    [update] = [
        e for e in entries_of("offers.terms", terms.pk) if e.action == LogEntry.Action.UPDATE
    ]
    assert update.actor_id == manager.pk
    assert update.timestamp is not None
    before, after = update.changes["revenue_amount"]
    assert (Decimal(before), Decimal(after)) == (Decimal("10.00"), Decimal("12.50"))
    before, after = update.changes["payout_amount"]
    assert (Decimal(before), Decimal(after)) == (Decimal("7.00"), Decimal("8.25"))

    [row] = audit_rows(manager_client, model="offers.terms", object_id=terms.pk, action="update")
    assert row["actor"] == {"id": manager.pk, "username": manager.username, "role": "manager"}
    assert row["remote_addr"] == "127.0.0.1"
    assert set(row["changes"]) >= {"revenue_amount", "payout_amount"}


def test_an_advertiser_reads_its_own_offers_changes_without_payout_fields_and_nothing_else(
    manager_client,
):
    mine = factories.TermsFactory()
    theirs = factories.TermsFactory()
    advertiser = client_for(factories.AdvertiserUserFactory(advertiser=mine.goal.offer.advertiser))
    for terms in (mine, theirs):
        response = manager_client.patch(
            f"/api/v1/terms/{terms.pk}/",
            {"revenue_amount": "11.00", "payout_amount": "9.00"},
            format="json",
        )
        assert response.status_code == 200, response.content
    # A payout-only change, a publisher override and a payout-metric cap on the advertiser's own
    # offer: each would tell it a payout, so none is its to read.
    mine.refresh_from_db()
    mine.payout_amount = Decimal("9.50")
    mine.save()
    override = factories.PublisherOverrideFactory(offer=mine.goal.offer)
    payout_cap = factories.CapFactory(offer=mine.goal.offer, metric=Cap.Metric.PAYOUT)
    conversions_cap = factories.CapFactory(offer=mine.goal.offer)

    rows = audit_rows(advertiser, page_size=500)

    assert rows, "the advertiser reads its own entries"
    assert all("payout" not in field for row in rows for field in row["changes"])
    assert not [
        r for r in rows if r["model"] == "offers.terms" and r["object_id"] == str(theirs.pk)
    ]
    offer_ids = {str(mine.goal.offer_id)}
    assert not [r for r in rows if r["model"] == "offers.offer" and r["object_id"] not in offer_ids]
    assert not [r for r in rows if r["model"] == "offers.publisheroverride"]
    assert not [
        r for r in rows if r["model"] == "offers.cap" and r["object_id"] == str(payout_cap.pk)
    ]
    assert [
        r for r in rows if r["model"] == "offers.cap" and r["object_id"] == str(conversions_cap.pk)
    ]
    terms_updates = [r for r in rows if r["model"] == "offers.terms" and r["action"] == "update"]
    [changes] = [r["changes"] for r in terms_updates]
    assert list(changes) == ["revenue_amount"]
    assert [Decimal(v) for v in changes["revenue_amount"]] == [Decimal("10"), Decimal("11")]
    # Network staff stay anonymous to partners; the change itself is theirs to see.
    assert terms_updates[0]["actor"] == {"id": None, "username": None, "role": "manager"}
    assert terms_updates[0]["remote_addr"] is None
    assert override.pk  # written, and logged for the network
    assert entries_of("offers.publisheroverride", override.pk)


def test_a_publisher_cannot_read_the_managers_log_only_its_own_payout_details_changes(
    manager_client,
):
    offer = factories.OfferFactory()
    response = manager_client.patch(f"/api/v1/offers/{offer.pk}/", {"name": "New"}, format="json")
    assert response.status_code == 200, response.content
    user = factories.PublisherUserFactory()
    other = factories.PublisherFactory()
    for publisher in (user.publisher, other):
        publisher.payout_details = {"email": f"new-{publisher.pk}@pub.example"}
        publisher.save()
    publisher_client = client_for(user)

    rows = audit_rows(publisher_client, page_size=500)

    assert {r["model"] for r in rows} <= {"affiliates.publisher", "affiliates.payoutdetailschange"}
    assert {r["object_id"] for r in rows if r["model"] == "affiliates.publisher"} == {
        str(user.publisher_id)
    }
    assert any("payout_details" in r["changes"] for r in rows)
    assert audit_rows(publisher_client, model="offers.offer") == []
    assert len(audit_rows(manager_client, model="offers.offer", object_id=offer.pk)) == 2


def test_an_api_keys_creation_is_logged_with_its_user_as_actor_and_without_the_secret(
    manager_client,
):
    user = factories.PublisherUserFactory()
    response = client_for(user).post("/api/v1/api-keys/", {"name": "ci"}, format="json")
    assert response.status_code == 201, response.content
    raw = response.json()["key"]
    key = ApiKey.objects.get(pk=response.json()["id"])

    [created] = entries_of("affiliates.apikey", key.pk)
    assert created.action == LogEntry.Action.CREATE
    assert created.actor_id == user.pk  # authenticated by API key, inside the DRF view
    assert created.changes["prefix"] == ["None", key.prefix]
    assert "secret_hash" not in created.changes
    stored = repr((created.changes, created.additional_data, created.object_repr))
    assert (
        key.secret_hash not in stored and raw not in stored and raw.split("_", 2)[2] not in stored
    )
    [row] = audit_rows(manager_client, model="affiliates.apikey", object_id=key.pk)
    assert row["actor"]["id"] == user.pk and "secret_hash" not in row["changes"]


def test_no_audited_model_logs_a_field_that_looks_like_a_secret():
    for spec in AUDITED:
        try:
            model = apps.get_model(spec.label)
        except LookupError:
            continue
        excluded = set(auditlog._registry[model]["exclude_fields"])
        for field in model._meta.concrete_fields:
            secretish = any(w in field.name for w in ("secret", "hash", "password", "encrypt"))
            if secretish and not field.name.endswith("_prefix"):
                assert field.name in excluded, f"{spec.label}.{field.name} would be logged"


def test_every_model_of_the_audited_apps_is_either_audited_or_says_why_not():
    audited = {spec.label.lower() for spec in AUDITED}
    undecided = [
        model._meta.label
        for app_label in AUDITED_APPS
        for model in apps.get_app_config(app_label).get_models()
        if model._meta.label_lower not in audited and model._meta.label not in NOT_AUDITED
    ]
    assert undecided == [], "add them to AUDITED or NOT_AUDITED in accounts/audit/registry.py"


def test_a_change_in_a_signed_in_admin_session_names_its_user():
    manager = user_create(username="boss", role=Role.MANAGER)
    cap = factories.CapFactory()
    client = signed_in(Client(), manager)
    response = client.post(f"/admin/offers/cap/{cap.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302, response.content
    [deleted] = [e for e in entries_of("offers.cap", cap.pk) if e.action == LogEntry.Action.DELETE]
    assert deleted.actor_id == manager.pk
    assert deleted.changes["limit"][0] is not None


def test_finance_reads_money_entries_but_not_the_catalogues_configuration(manager_client):
    finance = client_for(factories.FinanceUserFactory())
    terms = factories.TermsFactory()
    publisher = factories.PublisherFactory()
    publisher.minimum_payout = Decimal("100")
    publisher.save()

    models = {row["model"] for row in audit_rows(finance, page_size=500)}

    assert {"offers.terms", "affiliates.publisher"} <= models
    assert not models & {"offers.offer", "offers.goal", "offers.cap", "affiliates.apikey"}
    assert terms.pk


def test_manual_ledger_adjustments_are_logged_and_earnings_are_not():
    author = factories.FinanceUserFactory()
    earning = factories.LedgerEntryFactory()
    adjustment = factories.LedgerEntryFactory(
        kind=LedgerEntry.Kind.ADJUSTMENT, amount=Decimal("-3.00"), created_by=author, reason="x"
    )
    assert entries_of("payouts.ledgerentry", earning.pk) == []
    [logged] = entries_of("payouts.ledgerentry", adjustment.pk)
    assert logged.changes["amount"] == ["None", "-3.00"]


def test_a_bad_filter_is_a_400_naming_it(manager_client):
    response = manager_client.get("/api/v1/audit/", {"model": "tracking.click", "since": "soon"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"model", "since"}


@pytest.mark.sqlite
def test_the_audit_log_works_on_the_embedded_sqlite_database_too():
    manager = factories.ManagerFactory()
    advertiser_user = factories.AdvertiserUserFactory()
    offer = factories.OfferFactory(advertiser=advertiser_user.advertiser)
    manager_client = client_for(manager)
    response = manager_client.patch(
        f"/api/v1/offers/{offer.pk}/",
        {"name": "Renamed", "allow_payout_above_revenue": True},
        format="json",
    )
    assert response.status_code == 200, response.content

    [row] = audit_rows(manager_client, model="offers.offer", object_id=offer.pk, action="update")
    assert row["actor"]["id"] == manager.pk
    assert row["changes"]["name"] == [offer.name, "Renamed"]
    [seen] = audit_rows(
        client_for(advertiser_user), model="offers.offer", object_id=offer.pk, action="update"
    )
    assert seen["changes"] == {"name": [offer.name, "Renamed"]}


def test_a_staff_change_and_its_confirmation_are_logged_with_both_people_and_no_password():
    superuser = user_create(
        username="root", role=Role.FINANCE, password="x" * 12, is_superuser=True
    )
    finance = factories.FinanceUserFactory()
    admin = signed_in(Client(), superuser)  # its two-factor code given
    password = "a-new-Passw0rd-for-this"
    response = admin.post(
        "/admin/accounts/user/add/",
        {
            "username": "new-finance",
            "usable_password": "true",
            "password1": password,
            "password2": password,
            "role": Role.FINANCE,
        },
    )
    assert response.status_code == 302, response.content
    created = User.objects.get(username="new-finance")
    change = StaffChange.objects.get(target=created)
    response = client_for(finance).post(f"/api/v1/staff-changes/{change.pk}/confirm/")
    assert response.status_code == 200, response.content

    [user_created] = [e for e in entries_of("accounts.user", created.pk) if e.action == 0]
    assert user_created.actor_id == superuser.pk
    assert user_created.changes["role"] == ["None", "finance"]
    [requested, confirmed] = entries_of("accounts.staffchange", change.pk)
    assert requested.actor_id == superuser.pk
    assert confirmed.actor_id == finance.pk
    assert confirmed.changes["state"] == ["pending", "confirmed"]
    [activated] = [
        e
        for e in entries_of("accounts.user", created.pk)
        if "is_active" in (e.changes or {}) and e.action == LogEntry.Action.UPDATE
    ]
    assert activated.actor_id == finance.pk
    created.refresh_from_db()
    dump = repr(list(LogEntry.objects.values("changes", "additional_data", "object_repr")))
    assert created.password not in dump and password not in dump
    assert "password" not in dump
    finance_rows = audit_rows(
        client_for(factories.FinanceUserFactory()), model="accounts.staffchange"
    )
    assert {row["actor"]["id"] for row in finance_rows} == {superuser.pk, finance.pk}


@pytest.mark.sqlite
def test_an_entry_cannot_be_edited_or_deleted_but_its_actor_may_be_deleted():
    user = factories.PublisherUserFactory()
    offer = factories.OfferFactory()
    with set_actor(user):
        offer.name = "Edited"
        offer.save()
    [entry] = [e for e in entries_of("offers.offer", offer.pk) if e.action == 1]
    with pytest.raises(DatabaseError), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(changes={"name": ["a", "b"]})
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            LogEntry.objects.filter(pk=entry.pk).delete()
    ApiKey.objects.filter(user=user).delete()
    User.objects.filter(pk=user.pk).delete()
    entry.refresh_from_db()
    assert entry.actor_id is None and entry.actor_email == user.email
    assert entry.changes["name"][1] == "Edited"
