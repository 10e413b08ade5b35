"""Region targeting: the visitor's ISO 3166-2 region from an operator-supplied city database,
checked against the offer's regions; a miss (or an unknown region) goes to the fallback with
its reason on the click."""

from pathlib import Path

import pytest

from offers.landing import OfferTargeting
from tests import factories
from tests.conftest import client_for
from tests.tracking.clicks.visits import GB_IP, US_IP, only_click, visit
from tracking.clicks.regions import city_db_forget, client_region

NY_IP = "9.9.9.9"  # iptocc: US
UNPLACED_US_IP = "4.4.4.4"  # iptocc: US; not in the fixture database


def write_city_mmdb(path: Path) -> Path:
    """A GeoLite2-City-shaped MaxMind DB (IPv6 tree holding IPv4, as MaxMind ships it)."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type="GeoLite2-City", ipv4_compatible=True)
    places = {
        "8.8.8.0/24": {"country": {"iso_code": "US"}, "subdivisions": [{"iso_code": "CA"}]},
        "9.9.9.0/24": {"country": {"iso_code": "US"}, "subdivisions": [{"iso_code": "NY"}]},
        "81.2.69.0/24": {"country": {"iso_code": "GB"}, "subdivisions": [{"iso_code": "ENG"}]},
    }
    for network, record in places.items():
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return path


@pytest.fixture
def city_db(settings, tmp_path):
    settings.CLICK_GEOIP_CITY_PATH = str(write_city_mmdb(tmp_path / "city.mmdb"))
    city_db_forget()
    yield
    settings.CLICK_GEOIP_CITY_PATH = ""
    city_db_forget()


@pytest.fixture
def no_city_db(settings):
    settings.CLICK_GEOIP_CITY_PATH = ""
    city_db_forget()
    yield
    city_db_forget()


def _target(link, regions):
    OfferTargeting.objects.create(offer=link.offer, regions=regions)


def test_the_city_database_places_an_address_in_its_region(city_db):
    assert client_region(ip=US_IP, country="US") == "US-CA"
    assert client_region(ip=GB_IP, country="GB") == "GB-ENG"
    assert client_region(ip=UNPLACED_US_IP, country="US") == ""
    # Placed in another country than the click's (a proxy's country header): unknown.
    assert client_region(ip=US_IP, country="DE") == ""


def test_without_a_city_database_every_region_is_unknown(no_city_db):
    assert client_region(ip=US_IP, country="US") == ""


@pytest.mark.django_db
def test_a_visitor_in_a_listed_region_reaches_the_offer_and_the_click_records_it(
    client, link, city_db
):
    _target(link, ["US-CA", "US-TX"])
    response = visit(client, f"/c/{link.code}", ip=US_IP)
    assert response["Location"].startswith("https://shop.example/land")
    click = only_click()
    assert (click.region, click.fallback_reason) == ("US-CA", "")


@pytest.mark.django_db
def test_a_visitor_in_another_region_of_a_listed_country_goes_to_the_fallback(
    client, link, city_db
):
    _target(link, ["US-CA"])
    response = visit(client, f"/c/{link.code}", ip=NY_IP)
    assert response["Location"].startswith("https://fallback.example/")
    click = only_click()
    assert (click.region, click.fallback_reason) == ("US-NY", "region")


@pytest.mark.django_db
def test_an_unknown_region_goes_to_the_fallback_as_region_unknown(client, link, city_db):
    _target(link, ["US-CA"])
    visit(client, f"/c/{link.code}", ip=UNPLACED_US_IP)
    click = only_click()
    assert (click.region, click.fallback_reason) == ("", "region_unknown")


@pytest.mark.django_db
def test_without_a_city_database_a_region_targeted_country_is_turned_away(client, link, no_city_db):
    _target(link, ["US-CA"])
    visit(client, f"/c/{link.code}", ip=US_IP)
    assert only_click().fallback_reason == "region_unknown"


@pytest.mark.django_db
def test_regions_narrow_only_the_countries_they_name(client, link, no_city_db):
    _target(link, ["US-CA"])
    response = visit(client, f"/c/{link.code}", ip=GB_IP)
    assert response["Location"].startswith("https://shop.example/land")
    assert only_click().fallback_reason == ""


@pytest.mark.django_db
def test_regions_are_set_over_the_api_as_iso_3166_2_codes(link):
    api = client_for(factories.ManagerFactory())
    bad = api.post(
        "/api/v1/offer-targeting/",
        {"offer": link.offer_id, "regions": ["California"]},
        format="json",
    )
    assert bad.status_code == 400 and "regions" in bad.json()["error"]["fields"]
    made = api.post(
        "/api/v1/offer-targeting/",
        {"offer": link.offer_id, "regions": ["us-ca", "DE-BY"]},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["regions"] == ["DE-BY", "US-CA"]
