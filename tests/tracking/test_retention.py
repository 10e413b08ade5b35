"""Click retention: past CLICK_RETENTION_DAYS a click's address is truncated and its user agent
reduced to its parsed parts, in bounded batches; new clicks and the reports stay as they were."""

from datetime import UTC, datetime, timedelta

import pytest
from ulid import ULID

from reports.services import rollup_clicks_add
from tests import factories
from tests.conftest import client_for
from tracking.clicks.agents import user_agent_reduce
from tracking.clicks.partitions import click_partitions_maintain
from tracking.clicks.retention import address_truncate, click_retention_apply
from tracking.models import Click

pytestmark = pytest.mark.django_db

NOW = datetime(2031, 3, 20, 12, tzinfo=UTC)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.122 Mobile Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def _click(*, when: datetime, ip: str, ua: str, offer, publisher) -> Click:
    return factories.ClickFactory(
        click_id=str(ULID.from_datetime(when)),
        ip=ip,
        user_agent=ua,
        offer_id=offer.id,
        publisher_id=publisher.id,
        sub1="s1",
        country="US",
        device="mobile",
    )


def _report(client, day_from, day_to) -> list[dict]:
    response = client.get(
        "/api/v1/reports/",
        {"group_by": "day", "date_from": day_from.isoformat(), "date_to": day_to.isoformat()},
    )
    assert response.status_code == 200, response.content
    return response.json()["rows"]


def _quality(client, day_from, day_to) -> list[dict]:
    response = client.get(
        "/api/v1/reports/quality/",
        {"date_from": day_from.isoformat(), "date_to": day_to.isoformat()},
    )
    assert response.status_code == 200, response.content
    return response.json()["rows"] if isinstance(response.json(), dict) else response.json()


def test_addresses_are_truncated_to_their_24_or_48_network():
    assert address_truncate("203.0.113.77") == "203.0.113.0"
    assert address_truncate("2001:db8:abcd:12:1:2:3:4") == "2001:db8:abcd::"
    assert address_truncate("::ffff:198.51.100.9") == "198.51.100.0"
    assert address_truncate(None) is None


def test_user_agents_are_reduced_to_browser_os_and_device_kind():
    assert user_agent_reduce(CHROME_ANDROID) == "Chrome; Android; mobile"
    assert user_agent_reduce(SAFARI_IPHONE) == "Safari; iOS; mobile"
    assert user_agent_reduce("Mozilla/5.0 (compatible; Googlebot/2.1)") == "Other; Other; bot"
    assert user_agent_reduce("") == ""


def test_retention_truncates_old_clicks_leaves_new_ones_and_the_reports_unchanged(settings):
    settings.CLICK_RETENTION_DAYS = 30
    offer, publisher = factories.OfferFactory(), factories.PublisherFactory()
    settings.CLICK_DROP_DAYS = 400  # the days' partitions, as production has them
    click_partitions_maintain(today=(NOW - timedelta(days=40)).date())
    click_partitions_maintain(today=NOW.date())
    old_day, new_day = NOW - timedelta(days=35), NOW - timedelta(days=2)
    old = [
        _click(
            when=old_day, ip="203.0.113.77", ua=CHROME_ANDROID, offer=offer, publisher=publisher
        ),
        _click(
            when=old_day + timedelta(hours=1),
            ip="2001:db8:abcd:12::9",
            ua=SAFARI_IPHONE,
            offer=offer,
            publisher=publisher,
        ),
        _click(
            when=old_day + timedelta(days=1),
            ip="198.51.100.9",
            ua=CHROME_ANDROID,
            offer=offer,
            publisher=publisher,
        ),
    ]
    new = _click(
        when=new_day, ip="203.0.113.78", ua=SAFARI_IPHONE, offer=offer, publisher=publisher
    )
    rollup_clicks_add(clicks=[*old, new])
    manager = client_for(factories.ManagerFactory())
    span = (old_day.date(), NOW.date())
    before = (_report(manager, *span), _quality(manager, *span))

    first = click_retention_apply(now=NOW, batch_size=2, max_batches=1)
    assert (first.batches, first.changed, first.caught_up) == (1, 2, False)  # bounded
    rest = click_retention_apply(now=NOW, batch_size=2)
    assert rest.changed == 1 and rest.caught_up

    rows = {c.id: c for c in Click.objects.all()}
    assert [(rows[c.id].ip, rows[c.id].user_agent) for c in old] == [
        ("203.0.113.0", "Chrome; Android; mobile"),
        ("2001:db8:abcd::", "Safari; iOS; mobile"),
        ("198.51.100.0", "Chrome; Android; mobile"),
    ]
    assert (rows[new.id].ip, rows[new.id].user_agent) == ("203.0.113.78", SAFARI_IPHONE)
    assert (rows[old[0].id].sub1, rows[old[0].id].country) == ("s1", "US")
    assert (_report(manager, *span), _quality(manager, *span)) == before

    # Idempotent: a second run finds nothing; the new click's turn comes when it is old enough.
    assert click_retention_apply(now=NOW).changed == 0
    later = click_retention_apply(now=NOW + timedelta(days=30))
    assert later.changed == 1
    assert Click.objects.get(id=new.id).ip == "203.0.113.0"


def test_retention_is_scheduled_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["clicks-retention"]
    assert entry["task"] == "tracking.tasks.retention.click_retention_apply"
    assert entry["schedule"] == 3600.0
