"""The reports page groups by up to three dimensions at once, with human column names, a
totals row per currency, a CSV of the same table and a chart of one metric by day; each role
reads only its own rows, and an advertiser never a publisher's sub ids."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from tests import factories
from tests.portal.conftest import client_as, saved
from tests.reports.conftest import clicks_ingest, convert

AT = datetime(2026, 1, 10, 10, tzinfo=UTC)
RANGE = {"date_from": "2026-01-09", "date_to": "2026-01-11"}


@pytest.fixture
def traffic(world):
    clicks = clicks_ingest(
        dict(offer=world.offer_a, publisher=world.pub_1, at=AT, country="US", sub1="fb-ad-7"),
        dict(offer=world.offer_a, publisher=world.pub_1, at=AT, country="GB"),
        dict(offer=world.offer_a, publisher=world.pub_2, at=AT, country="US"),
        dict(offer=world.offer_b, publisher=world.pub_2, at=AT, country="US"),
    )
    convert(click=clicks[0], goal=world.goal_a, at=AT, sale_amount="120.00")
    convert(click=clicks[2], goal=world.goal_a, at=AT)
    convert(click=clicks[3], goal=world.goal_b, at=AT)
    world.offer_a.name, world.offer_b.name = "Acme Summer", "Euro Deal"
    world.offer_a.save(update_fields=["name"])
    world.offer_b.save(update_fields=["name"])
    world.pub_1.name, world.pub_2.name = "Blue Media", "Red Media"
    world.pub_1.save(update_fields=["name"])
    world.pub_2.save(update_fields=["name"])
    return world


def _cells(html: str, tag: str = "td") -> list[list[str]]:
    body = html.split('id="report-table"', 1)[1].split("</table>", 1)[0]
    section = "tfoot" if tag == "th" else "tbody"
    part = body.split(f"<{section}>", 1)[1].split(f"</{section}>", 1)[0]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(rf"<{tag}[^>]*>.*?</{tag}>", row)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", part, re.S)
    ]


def test_a_manager_groups_by_offer_publisher_and_day_with_names_totals_csv_and_chart(traffic):
    manager = client_as(saved(factories.ManagerFactory()))
    params = {"group_by": "offer", "then_by": "publisher", "and_by": "day", "chart": "clicks"}
    page = manager.get("/reports/", {**params, **RANGE})
    assert page.status_code == 200
    html = page.content.decode()
    headers = page.context["headers"]
    assert headers[:4] == ["Offer", "Publisher", "Day", "Currency"]
    assert "Conversion rate (%)" in headers and "Revenue" in headers
    rows = _cells(html)
    assert [row[:4] for row in rows] == [
        ["Acme Summer", "Blue Media", "2026-01-10", "USD"],
        ["Acme Summer", "Red Media", "2026-01-10", "USD"],
        ["Euro Deal", "Red Media", "2026-01-10", "EUR"],
    ]
    assert rows[0][headers.index("Clicks")] == "2"
    assert rows[0][headers.index("Conversion rate (%)")] == "50.00"
    totals = _cells(html, "th")
    assert [row[:4] for row in totals] == [["Total", "", "", "EUR"], ["Total", "", "", "USD"]]
    assert totals[1][headers.index("Revenue")] == "20.00"

    exported = manager.get(page.context["page_csv_url"])
    assert exported["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert lines[0] == headers
    assert [line[:4] for line in lines[1:]] == [*[r[:4] for r in rows], *[t[:4] for t in totals]]

    # The chart: clicks by day, a bar for each of the three days, per currency, no script.
    assert 'id="report-chart-USD"' in html and 'id="report-chart-EUR"' in html
    usd = html.split('id="report-chart-USD"', 1)[1].split("</svg>", 1)[0]
    assert usd.count('<rect class="bar"') == 3
    assert "10 Jan: 3" in usd


def test_each_role_reads_only_its_own_rows(traffic):
    pub_1 = client_as(saved(factories.PublisherUserFactory(publisher=traffic.pub_1)))
    page = pub_1.get("/reports/", {"group_by": "offer", "then_by": "country", **RANGE})
    rows = _cells(page.content.decode())
    assert [row[:3] for row in rows] == [["Acme Summer", "GB", "USD"], ["Acme Summer", "US", "USD"]]
    assert "Red Media" not in page.content.decode() and "Revenue" not in page.context["headers"]
    # The publisher dimension is not a publisher's choice, not even typed into the URL.
    forced = pub_1.get("/reports/", {"group_by": "offer", "then_by": "publisher", **RANGE})
    assert forced.context["form"].errors["then_by"] and forced.context["report"] is None

    advertiser_b = client_as(
        saved(factories.AdvertiserUserFactory(advertiser=traffic.advertiser_b))
    )
    page = advertiser_b.get("/reports/", {"group_by": "offer", "then_by": "publisher", **RANGE})
    assert [row[:3] for row in _cells(page.content.decode())] == [["Euro Deal", "Red Media", "EUR"]]
    assert "Acme Summer" not in page.content.decode().split('id="report-table"', 1)[1]
    filtered = advertiser_b.get(
        "/reports/", {"group_by": "day", "offer": traffic.offer_a.id, **RANGE}
    )
    assert filtered.context["form"].errors["offer"]  # not one of its offers: not a choice


def test_an_advertiser_never_groups_by_a_publishers_sub_ids(traffic):
    advertiser = client_as(saved(factories.AdvertiserUserFactory(advertiser=traffic.advertiser_a)))
    page = advertiser.get("/reports/", RANGE)
    assert 'value="sub1"' not in page.content.decode()
    forced = advertiser.get("/reports/", {"group_by": "offer", "and_by": "sub1", **RANGE})
    assert forced.context["form"].errors["and_by"]
    exported = advertiser.get("/reports/", {"and_by": "sub1", "format": "csv", **RANGE})
    assert not exported["Content-Type"].startswith("text/csv")
    assert "fb-ad-7" not in exported.content.decode()


def test_a_country_filter_and_a_preset_narrow_the_report(traffic):
    manager = client_as(saved(factories.ManagerFactory()))
    page = manager.get("/reports/", {"group_by": "publisher", "country": "gb", **RANGE})
    rows = _cells(page.content.decode())
    assert [row[:2] for row in rows] == [["Blue Media", "USD"]]
    assert rows[0][page.context["headers"].index("Clicks")] == "1"
    today = manager.get("/reports/", {"preset": "today", "group_by": "offer"})
    assert today.context["report"].query.date_from == today.context["report"].query.date_to
