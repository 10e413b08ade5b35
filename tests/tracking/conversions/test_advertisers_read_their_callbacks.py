"""An advertiser reads its own callbacks with their result codes (so a callback naming an
unknown goal is visible with the reason), never another advertiser's; publishers read none."""

from django.conf import settings

from offers.models import Goal
from tests import factories
from tests.conftest import client_for
from tests.tracking.conversions.conftest import SECRET, drain, world_build


def _listed(user) -> list[dict]:
    response = client_for(user).get("/api/v1/callbacks/")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_an_advertiser_sees_its_unknown_goal_callback_and_not_another_advertiser_s(db, client):
    mine, theirs = world_build(), world_build()
    sent = {}
    for world in (mine, theirs):
        response = client.get(
            "/postback", {"click_id": world.click.click_id, "goal": "nope", "token": SECRET}
        )
        assert response.status_code == 200
        sent[world.advertiser.id] = response.json()["id"]
    drain()

    rows = _listed(factories.AdvertiserUserFactory(advertiser=mine.advertiser))
    assert [(row["id"], row["result"], row["state"]) for row in rows] == [
        (sent[mine.advertiser.id], "unknown_goal", "processed")
    ]
    assert rows[0]["params"]["goal"] == "nope" and "token" not in rows[0]["params"]
    assert rows[0]["conversion"] is None
    assert "headers" not in rows[0] and "advertiser" not in rows[0]
    mine_api = client_for(factories.AdvertiserUserFactory(advertiser=mine.advertiser))
    assert mine_api.get(f"/api/v1/callbacks/{sent[theirs.advertiser.id]}/").status_code == 404

    assert _listed(factories.PublisherUserFactory(publisher=mine.publisher)) == []
    assert {row["id"] for row in _listed(factories.ManagerFactory())} == set(sent.values())


def test_a_refused_pixel_is_tied_to_the_click_s_advertiser_and_readable_by_it(db, client):
    world = world_build()
    Goal.objects.filter(id=world.goal.id).update(pixel_enabled=True, pixel_domains=["shop.example"])
    client.cookies[settings.CLICK_COOKIE_NAME] = world.click.click_id
    client.get(f"/p/{world.goal.ref}.gif", HTTP_REFERER="https://evil.example/")
    drain()
    rows = _listed(factories.AdvertiserUserFactory(advertiser=world.advertiser))
    assert [(row["dialect"], row["result"]) for row in rows] == [
        ("pixel", "pixel_domain_not_allowed")
    ]


def test_the_list_filters_by_result(db, client):
    world = world_build()
    client.get("/postback", {"click_id": world.click.click_id, "goal": "nope", "token": SECRET})
    client.get("/postback", {"click_id": world.new_click().click_id, "token": SECRET})
    drain()
    api = client_for(factories.AdvertiserUserFactory(advertiser=world.advertiser))
    rows = api.get("/api/v1/callbacks/", {"result": "approved"}).json()["results"]
    assert [row["result"] for row in rows] == ["approved"]
    assert rows[0]["conversion"] is not None
