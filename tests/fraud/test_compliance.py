"""Compliance: an offer's terms versions, their acceptance at access, declared sources, and a
click from a source the offer forbids flagged on the click and its conversion."""

import pytest
from django.db import IntegrityError, transaction

from fraud import compliance
from offers.models import Offer, OfferTerms
from tests import factories
from tests.conftest import client_for
from tests.fraud.traffic import fired, of
from tests.tracking.clicks.visits import ingest, visit
from tracking.models import Click

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_cache(settings):
    settings.FRAUD_POLICY_CACHE_SECONDS = 0
    compliance.compliance_cache_clear()


@pytest.fixture
def offer():
    return factories.OfferFactory(visibility=Offer.Visibility.APPROVAL)


def _publish(client, offer, **body):
    return client.post("/api/v1/offer-terms/", {"offer": offer.id, **body}, format="json")


def test_a_manager_publishes_versions_and_none_can_be_changed(offer):
    manager = client_for(factories.ManagerFactory())

    first = _publish(manager, offer, forbidden_traffic=["push", "adult"], text="No push.")
    second = _publish(manager, offer, allowed_traffic=["search", "social"], text="Search only.")

    assert first.status_code == 201, first.content
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert first.json()["forbidden_traffic"] == ["adult", "push"]
    url = f"/api/v1/offer-terms/{first.json()['id']}/"
    assert manager.patch(url, {"text": "changed"}, format="json").status_code == 405
    assert manager.delete(url).status_code == 405
    with pytest.raises(IntegrityError), transaction.atomic():
        OfferTerms.objects.filter(id=first.json()["id"]).update(text="changed")


def test_terms_that_allow_and_forbid_one_type_or_name_an_unknown_type_are_refused(offer):
    manager = client_for(factories.ManagerFactory())
    both = _publish(manager, offer, allowed_traffic=["push"], forbidden_traffic=["push"])
    unknown = _publish(manager, offer, forbidden_traffic=["telepathy"])
    assert both.status_code == 400 and "forbidden_traffic" in both.json()["error"]["fields"]
    assert unknown.status_code == 400
    assert not OfferTerms.objects.exists()


@pytest.mark.parametrize("role", ["advertiser", "publisher", "finance"])
def test_only_managers_publish_terms(offer, role):
    user = {
        "advertiser": lambda: factories.AdvertiserUserFactory(advertiser=offer.advertiser),
        "publisher": factories.PublisherUserFactory,
        "finance": factories.FinanceUserFactory,
    }[role]()
    response = _publish(client_for(user), offer, forbidden_traffic=["push"])
    assert response.status_code in (400, 403), response.content
    assert not OfferTerms.objects.exists()


def test_the_advertiser_reads_its_own_offers_terms_and_not_anothers(offer):
    manager = client_for(factories.ManagerFactory())
    _publish(manager, offer, forbidden_traffic=["push"])
    other = factories.OfferFactory()
    _publish(manager, other, forbidden_traffic=["email"])

    own = client_for(factories.AdvertiserUserFactory(advertiser=offer.advertiser))
    listed = own.get("/api/v1/offer-terms/").json()["results"]
    assert [row["offer"] for row in listed] == [offer.id]


def test_asking_for_access_accepts_the_current_version_and_a_grant_the_newer_one(offer):
    manager_user = factories.ManagerFactory()
    manager = client_for(manager_user)
    _publish(manager, offer, forbidden_traffic=["push"], text="v1")
    publisher_user = factories.PublisherUserFactory()
    publisher = client_for(publisher_user)

    asked = publisher.post("/api/v1/offer-access/", {"offer": offer.id}, format="json")
    assert asked.status_code == 201, asked.content
    _publish(manager, offer, forbidden_traffic=["push", "email"], text="v2")
    approved = manager.post(f"/api/v1/offer-access/{asked.json()['id']}/approve/", {})
    assert approved.status_code == 200, approved.content

    rows = publisher.get("/api/v1/terms-acceptances/?ordering=id").json()["results"]
    assert [(r["version"], r["how"], r["accepted_by"]) for r in rows] == [
        (1, "requested", publisher_user.id),
        (2, "granted", manager_user.id),
    ]
    stranger = client_for(factories.PublisherUserFactory())
    assert stranger.get("/api/v1/terms-acceptances/").json()["results"] == []
    advertiser = client_for(factories.AdvertiserUserFactory(advertiser=offer.advertiser))
    assert len(advertiser.get("/api/v1/terms-acceptances/").json()["results"]) == 2


def test_a_publisher_declares_its_own_sources_and_cannot_touch_anothers():
    own_user = factories.PublisherUserFactory()
    client = client_for(own_user)
    created = client.post(
        "/api/v1/traffic-sources/",
        {"key": "pushnet", "traffic_type": "push", "name": "Our push list"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["publisher"] == own_user.publisher_id
    duplicate = client.post(
        "/api/v1/traffic-sources/", {"key": "pushnet", "traffic_type": "email"}, format="json"
    )
    assert duplicate.status_code == 400
    foreign_publisher = client.post(
        "/api/v1/traffic-sources/",
        {"key": "x", "traffic_type": "push", "publisher": factories.PublisherFactory().id},
        format="json",
    )
    assert foreign_publisher.status_code == 400  # not writable by a publisher

    other = client_for(factories.PublisherUserFactory())
    url = f"/api/v1/traffic-sources/{created.json()['id']}/"
    assert other.patch(url, {"traffic_type": "search"}, format="json").status_code == 404
    assert other.delete(url).status_code == 404
    assert client.patch(url, {"traffic_type": "search"}, format="json").status_code == 200


def test_the_verdict_reads_the_source_parameter_and_the_declared_sources():
    publisher = factories.PublisherFactory()
    offer = factories.OfferFactory()
    OfferTerms.objects.create(offer=offer, version=1, forbidden_traffic=["push"])
    verdict = compliance.traffic_source_forbidden

    assert verdict(offer_id=offer.id, publisher_id=publisher.id, source="push") is True
    assert verdict(offer_id=offer.id, publisher_id=publisher.id, source="search") is False
    assert verdict(offer_id=offer.id, publisher_id=publisher.id, source="") is None
    assert verdict(offer_id=offer.id, publisher_id=publisher.id, source="mystery") is None
    publisher.traffic_sources.create(key="mylist", traffic_type="push")
    assert verdict(offer_id=offer.id, publisher_id=publisher.id, source="MyList") is True
    assert verdict(offer_id=offer.id, publisher_id=publisher.id, source="") is True
    publisher.traffic_sources.create(key="blog", traffic_type="content")
    assert verdict(offer_id=offer.id, publisher_id=publisher.id, source="") is None
    untermed = factories.OfferFactory()
    assert verdict(offer_id=untermed.id, publisher_id=publisher.id, source="push") is None

    OfferTerms.objects.create(offer=offer, version=2, allowed_traffic=["search"])
    assert verdict(offer_id=offer.id, publisher_id=publisher.id, source="content") is True


def test_a_click_from_a_forbidden_source_is_flagged_on_the_click_and_its_conversion(net):
    OfferTerms.objects.create(offer=net.offer, version=1, forbidden_traffic=["push"])
    net.links["bad"].publisher.traffic_sources.create(key="pushnet", traffic_type="push")

    for who, source in (("bad", "pushnet"), ("clean", "search")):
        code = net.links[who].code
        assert visit(net.web, f"/c/{code}?source={source}", ip="81.2.69.160").status_code == 302
    ingest()
    bad = Click.objects.get(publisher_id=net.links["bad"].publisher_id)
    clean = Click.objects.get(publisher_id=net.links["clean"].publisher_id)
    assert bad.signals["traffic_source_forbidden"] is True
    # A click stores only signals that say something (fraud/scoring.py): a clean one has none.
    assert "traffic_source_forbidden" not in clean.signals

    net.convert([bad, clean], later=300)
    bad_conversion, clean_conversion = of([bad, clean])
    assert fired(bad_conversion)["traffic_source_forbidden"] is True
    assert "traffic_source_forbidden" not in fired(clean_conversion)
    assert clean_conversion.status == "approved"
