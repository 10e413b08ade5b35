"""OS, browser, language, region, day-parting and start/end targeting on the offer pages: the
advertiser's (its own offers only) and the manager's, with human inputs, checked by the API's
rules (offers/landing_services.offer_targeting_check) with the refusal beside its field, and
audited with who changed it."""

import re
from datetime import UTC, datetime

import pytest
from auditlog.models import LogEntry

from offers.landing import OfferTargeting
from offers.landing_services import offer_targeting_set
from offers.models import Offer
from portal.targeting_forms import hours_words
from tests.portal.conftest import client_as


def _advertiser_url(offer: Offer) -> str:
    return f"/advertiser/offers/{offer.pk}/"


def _targeting_post(**fields) -> dict:
    data = {"time_zone": "UTC", **fields}
    return {"part": "targeting", **{f"targeting-{name}": value for name, value in data.items()}}


BERLIN_WEEKDAY_MORNINGS = _targeting_post(
    oses=["android", "ios"],
    browsers=["chrome", "samsung internet"],
    languages=["de", "en"],
    regions="de-by\nDE-BE",
    time_zone="Europe/Berlin",
    starts_at="2027-01-04T09:00",
    ends_at="2027-07-01T00:00",
    hours=["0-9", "0-10", "4-17"],
)


def test_an_advertiser_targets_its_offer_by_os_browser_language_hours_and_dates(net):
    advertiser = client_as(net.advertiser_user)
    response = advertiser.post(_advertiser_url(net.offer), BERLIN_WEEKDAY_MORNINGS)
    assert response.status_code == 302
    assert response["Location"] == f"{_advertiser_url(net.offer)}#targeting"

    targeting = OfferTargeting.objects.get(offer=net.offer)
    assert (targeting.oses, targeting.browsers) == (
        ["android", "ios"],
        ["chrome", "samsung internet"],
    )
    assert (targeting.languages, targeting.regions) == (["de", "en"], ["DE-BE", "DE-BY"])
    assert targeting.time_zone == "Europe/Berlin"
    assert targeting.hours == {"0": [9, 10], "4": [17]}
    # Typed in the offer's zone: 09:00 in Berlin in January (UTC+1), midnight in July (UTC+2).
    assert targeting.starts_at == datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
    assert targeting.ends_at == datetime(2027, 6, 30, 22, 0, tzinfo=UTC)

    entry = LogEntry.objects.get_for_object(targeting).get()
    assert entry.actor == net.advertiser_user

    # The page shows what was saved, in the same words and zone it was typed in.
    html = advertiser.get(_advertiser_url(net.offer)).content.decode()
    assert 'value="2027-01-04T09:00"' in html and 'value="2027-07-01T00:00"' in html
    assert 'value="0-9" checked' in html and 'value="4-17" checked' in html
    assert 'value="0-11" aria' in html  # not ticked
    assert re.search(r'value="ios"[^>]*checked', html) and "iOS" in html


def test_a_second_save_changes_the_targeting_and_empty_lists_accept_everyone(net):
    advertiser = client_as(net.advertiser_user)
    assert advertiser.post(_advertiser_url(net.offer), BERLIN_WEEKDAY_MORNINGS).status_code == 302
    cleared = advertiser.post(_advertiser_url(net.offer), _targeting_post(oses=["windows"]))
    assert cleared.status_code == 302
    targeting = OfferTargeting.objects.get(offer=net.offer)
    assert targeting.oses == ["windows"]
    assert (targeting.browsers, targeting.languages, targeting.hours) == ([], [], {})
    assert (targeting.starts_at, targeting.ends_at) == (None, None)
    assert LogEntry.objects.get_for_object(targeting).count() == 2


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        (
            {"starts_at": "2027-03-01T10:00", "ends_at": "2027-03-01T09:00"},
            "ends_at",
            "The end must come after the start.",
        ),
        ({"regions": "California"}, "regions", "ISO 3166-2"),
        ({"oses": ["beos"]}, "oses", "not one of the available choices"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "not one of the available choices"),
        ({"starts_at": "next tuesday"}, "starts_at", "Enter a valid date/time."),
    ],
)
def test_bad_targeting_is_shown_beside_its_field_and_nothing_is_saved(net, fields, field, words):
    response = client_as(net.advertiser_user).post(
        _advertiser_url(net.offer), _targeting_post(**fields)
    )
    assert response.status_code == 200
    errors = response.context["targeting_form"].errors
    assert list(errors) == [field] and words in errors[field][0]
    assert f'id="targeting-{field}-errors"' in response.content.decode()
    assert not OfferTargeting.objects.filter(offer=net.offer).exists()


def test_another_advertisers_offer_is_a_404_and_its_targeting_unchanged(net):
    response = client_as(net.other_advertiser_user).post(
        _advertiser_url(net.offer), _targeting_post(oses=["windows"])
    )
    assert response.status_code == 404
    assert not OfferTargeting.objects.filter(offer=net.offer).exists()


def test_publishers_and_finance_are_refused_both_offer_pages(net):
    for user in (net.publisher_user, net.finance):
        client = client_as(user)
        for url in (_advertiser_url(net.offer), f"/network/offers/{net.offer.pk}/"):
            assert client.post(url, _targeting_post(oses=["windows"])).status_code == 403
    assert not OfferTargeting.objects.filter(offer=net.offer).exists()


def test_a_manager_sets_the_targeting_of_any_offer_on_its_page(net):
    url = f"/network/offers/{net.other_offer.pk}/"
    response = client_as(net.manager).post(url, BERLIN_WEEKDAY_MORNINGS)
    assert response.status_code == 302 and response["Location"] == f"{url}#targeting"
    targeting = OfferTargeting.objects.get(offer=net.other_offer)
    assert targeting.hours == {"0": [9, 10], "4": [17]}
    assert LogEntry.objects.get_for_object(targeting).get().actor == net.manager


def test_a_language_or_zone_the_api_stored_that_the_pickers_do_not_list_stays_chosen(net):
    offer_targeting_set(offer=net.offer, fields={"languages": ["haw"], "oses": ["linux"]})
    advertiser = client_as(net.advertiser_user)
    page = advertiser.get(_advertiser_url(net.offer))
    assert '<option value="haw" selected>' in page.content.decode()
    kept = advertiser.post(
        _advertiser_url(net.offer), _targeting_post(languages=["haw", "fr"], oses=["linux"])
    )
    assert kept.status_code == 302
    assert OfferTargeting.objects.get(offer=net.offer).languages == ["fr", "haw"]


def test_the_managers_offer_list_says_each_offers_targeting_in_words(net):
    offer_targeting_set(
        offer=net.offer,
        fields={
            "oses": ["ios", "android"],
            "languages": ["de"],
            "time_zone": "Europe/Berlin",
            "hours": {str(day): list(range(9, 17)) for day in range(5)},
            "starts_at": datetime(2027, 1, 4, 8, 0, tzinfo=UTC),
        },
    )
    html = client_as(net.manager).get("/network/offers/").content.decode()
    row = next(line for line in html.splitlines() if "Android, iOS" in line)
    assert (
        "speaking German; Mon\N{EN DASH}Fri 09:00\N{EN DASH}17:00 (Europe/Berlin); "
        "from 4 Jan 2027 09:00 (Europe/Berlin)"
    ) in row
    other = next(line for line in html.splitlines() if "all countries; all devices</td>" in line)
    assert "Android" not in other  # an offer without finer targeting says only the basics


def test_hours_are_said_as_ranges_with_weekdays_grouped():
    dash = "\N{EN DASH}"
    assert hours_words({}) == ""
    assert hours_words({"0": [9, 10, 11, 17], "5": list(range(24)), "6": list(range(24))}) == (
        f"Mon 09:00{dash}12:00, 17:00{dash}18:00; Sat{dash}Sun all day"
    )
    assert hours_words({"2": []}) == "no hour"
