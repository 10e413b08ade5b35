"""`make fuzz` findings on the offers side, pinned: a request body's schema states what the
services refuse, on the request side only (core.api_fields.RequestRule), and the API agrees.

- URLs (offers, landing variants, creatives, postback templates, traffic sources, smart links)
  are http(s) with an ASCII host and only known {macros}; whitespace or control characters
  anywhere are refused, and a URL urlsplit cannot read is a 400, never a 500.
- Answers keep their own schema: a stored limit "0.473100" or a blank image_url must still match.
- Bounds of columns are said and kept by the API (a landing weight, a creative's size), not left
  to the database, whose refusal was answered as a duplicate name.
"""

import re

import pytest

from core.api_fields import url_pattern
from core.macros import CLICK_MACROS
from core.validation import CIDR_PATTERN, Problems, check_cidrs, check_url
from tests import factories
from tests.api.test_update_bodies_say_what_an_update_may_send import (
    body_component,
    served_schema,
)
from tests.conftest import client_for

URLS = [
    ("https://shop.example/land?c={click_id}", True),
    ("HTTP://0", True),
    ("http://x.example/{", True),  # a brace that names no macro is text
    ("http://x.example/{nope}", False),
    ("http://x.example/\x01", False),
    ("\x01http://x.example/", False),  # urlsplit would drop the control character
    ("http://x.example/a b", False),
    ("http://bücher.example/", False),  # an international host in its xn-- form
    ("http://[::1]/", False),
    ("http://[/", False),  # urlsplit raises on it
    ("http://\uff0f.example/", False),  # NFKC makes a slash of it: urlsplit raises
    ("ftp://x.example/", False),
    ("http:///x", False),
    ("0", False),
]


@pytest.mark.parametrize(("url", "good"), URLS)
def test_the_url_pattern_and_the_url_check_agree(url, good):
    problems = Problems()
    check_url(problems, "url", url, known_macros=CLICK_MACROS, required=True)
    assert (not problems.fields) is good, problems.fields
    assert bool(re.search(url_pattern(CLICK_MACROS), url)) is good


@pytest.mark.parametrize(
    ("cidr", "good"),
    [
        ("203.0.113.0/24", True),
        ("2001:db8::/32", True),
        ("::1", True),
        ("10.0.0.0/255.0.0.0", False),  # ip_network reads a netmask; the schema says a prefix
        ("1.2.3.4/33", False),
        ("01.2.3.4", False),
        ("fe80::1%eth0", False),
    ],
)
def test_the_cidr_pattern_and_the_cidr_check_agree(cidr, good):
    problems = Problems()
    check_cidrs(problems, "ip_allowlist", [cidr])
    assert (not problems.fields) is good, problems.fields
    assert bool(re.search(CIDR_PATTERN, cidr)) is good


@pytest.fixture
def manager(db):
    return client_for(factories.ManagerFactory())


def test_rules_sit_on_the_request_side_and_answers_keep_their_schema(manager):
    schema = served_schema(manager)
    components = schema["components"]["schemas"]
    cap_request = body_component(schema, "/api/v1/caps/", "post")
    assert not re.search(cap_request["properties"]["limit"]["pattern"], "0")
    assert re.search(cap_request["properties"]["limit"]["pattern"], "0.473100")
    assert re.search(components["Cap"]["properties"]["limit"]["pattern"], "0.473100")
    creative = components["Creative"]["properties"]["image_url"]
    assert "pattern" not in creative and "oneOf" not in creative
    offer_request = body_component(schema, "/api/v1/offers/", "post")
    assert "pattern" in offer_request["properties"]["landing_url"]
    assert "pattern" not in components["Offer"]["properties"]["landing_url"]


def test_a_url_urlsplit_cannot_read_is_refused_by_name(manager):
    offer = factories.OfferFactory()
    response = manager.patch(
        f"/api/v1/offers/{offer.id}/", {"landing_url": "http://[/"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "bad_url"


def test_a_text_creatives_image_url_is_a_url_too(manager):
    offer = factories.OfferFactory()
    body = {"offer": offer.id, "name": "t", "kind": "text", "text": "Buy", "image_url": "0"}
    response = manager.post("/api/v1/creatives/", body, format="json")
    assert response.status_code == 400, response.content
    assert "image_url" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/landing-variants/", {"name": "a", "url": "https://a.example/"}, "weight"),
        ("/api/v1/creatives/", {"name": "b", "kind": "text", "text": "Buy"}, "height"),
    ],
)
def test_a_figure_past_its_columns_bound_is_refused_by_name(manager, path, body, field):
    offer = factories.OfferFactory()
    response = manager.post(path, {**body, "offer": offer.id, field: 2147483646}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_targeting_languages_and_regions_are_ascii(manager):
    offer = factories.OfferFactory()
    for body in ({"languages": ["日本"]}, {"regions": ["ﬀ-1"]}):
        response = manager.post(
            "/api/v1/offer-targeting/", {"offer": offer.id, **body}, format="json"
        )
        assert response.status_code == 400, (body, response.content)


def test_a_decision_whose_note_is_not_text_is_refused_and_nothing_is_decided(manager):
    access = factories.OfferAccessFactory()
    response = manager.post(
        f"/api/v1/offer-access/{access.id}/approve/", {"note": {"a": 1}}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "note" in response.json()["error"]["fields"]
    access.refresh_from_db()
    assert access.status == "requested"


def test_a_postback_template_without_events_is_refused(db):
    publisher = factories.PublisherUserFactory()
    body = {"scope": "global", "url": "https://pb.example/?c={click_id}"}
    response = client_for(publisher).post("/api/v1/postback-templates/", body, format="json")
    assert response.status_code == 400, response.content
    assert "events" in response.json()["error"]["fields"]
