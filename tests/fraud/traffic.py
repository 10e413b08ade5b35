"""Adversarial and clean traffic through the real endpoints: the click URL, the ingester, the
postback endpoint and attribution (the code the workers run, in this thread)."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import redis
from django.test import Client

from offers.services import advertiser_postback_secret_set
from tests import factories
from tests.tracking.clicks.visits import BROWSER_UA, ingest, visit
from tests.tracking.conversions.conftest import drain
from tracking.clicks import buffer, resolve
from tracking.models import CallbackInbox, Click, Conversion

SECRET = "fraud-adv-secret"


@pytest.fixture
def fresh_redis(settings):
    """Counters, cached links and buffered clicks live in the Redis of the whole run."""
    resolve._local.clear()
    if not settings.REDIS_URL:
        pytest.skip("the signals' windows need Redis")
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = [
        *client.scan_iter(match="fraud:*", count=1000),
        *client.scan_iter(match="*affnet:*", count=1000),
        *client.scan_iter(match=f"{settings.CLICK_STREAM_KEY}*", count=1000),
        *client.scan_iter(match="*cap:*", count=1000),
        *client.scan_iter(match="cb:*", count=1000),
    ]
    if keys:
        client.delete(*keys)
    buffer.redis_client()
    yield
    resolve._local.clear()


@dataclass
class Net:
    offer: object
    goal: object
    links: dict[str, object] = field(default_factory=dict)
    web: Client = field(default_factory=Client)
    txn: int = 0

    def clicks(self, who: str, *, ips: list[str], ua: str = BROWSER_UA) -> list[Click]:
        """One visit per address in `ips` on `who`'s link; the new clicks, ingested."""
        before = set(Click.objects.values_list("click_id", flat=True))
        for ip in ips:
            assert visit(self.web, f"/c/{self.links[who].code}", ip=ip, ua=ua).status_code == 302
        ingest()
        return list(Click.objects.exclude(click_id__in=before).order_by("id"))

    def convert(self, clicks: list[Click], *, later: int = 0, **params) -> list[CallbackInbox]:
        """The advertiser's postback for each click; `later` seconds after the click."""
        rows = []
        for click in clicks:
            self.txn += 1
            response = self.web.get(
                "/postback",
                {"click_id": click.click_id, "token": SECRET, "txn_id": f"T{self.txn}", **params},
            )
            assert response.status_code == 200, response.content
            row = CallbackInbox.objects.get(click_id=click.click_id, params__txn_id=f"T{self.txn}")
            if later:
                CallbackInbox.objects.filter(pk=row.pk).update(
                    received_at=click.created_at + timedelta(seconds=later)
                )
            rows.append(row)
        drain()
        return rows


def of(clicks: list[Click]) -> list[Conversion]:
    by_click = {
        c.click_id: c for c in Conversion.objects.filter(click_id__in=[c.click_id for c in clicks])
    }
    return [by_click[click.click_id] for click in clicks]


def fired(conversion: Conversion) -> dict[str, object]:
    return {item["signal"]: item["value"] for item in conversion.fraud.get("fired", [])}


@pytest.fixture
def net(db, fresh_redis) -> Net:
    advertiser = factories.AdvertiserFactory()
    advertiser_postback_secret_set(advertiser=advertiser, raw=SECRET)
    offer = factories.OfferFactory(advertiser=advertiser)
    goal = factories.GoalFactory(offer=offer, ref="sale")
    factories.TermsFactory(goal=goal)
    net = Net(offer=offer, goal=goal)
    for who in ("bad", "clean"):
        publisher = factories.PublisherFactory()
        net.links[who] = factories.TrackingLinkFactory(offer=offer, publisher=publisher)
    return net


def addresses(prefix: str, count: int) -> list[str]:
    return [f"{prefix}.{n}" for n in range(1, count + 1)]
