from datetime import UTC, datetime

import pytest

from tests import factories
from tests.conftest import client_for
from tests.reports.conftest import clicks_ingest


@pytest.fixture
def client(db):
    return client_for(factories.ManagerFactory())


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"group_by": "day,planet"}, "unknown_dimension", "group_by"),
        ({"metrics": "clicks,vibes"}, "unknown_metric", "metrics"),
        ({"tz": "Mars/Olympus_Mons"}, "unknown_time_zone", "tz"),
        ({"date_from": "yesterday"}, "invalid", "date_from"),
        ({"sort": "-revenue", "metrics": "clicks"}, "invalid", "sort"),
        ({"offer": "abc"}, "invalid", "offer"),
        ({"group_by": "country,source"}, "dimensions_incompatible", "group_by"),
    ],
)
def test_a_bad_report_query_is_refused_naming_the_parameter(client, params, code, field):
    response = client.get("/api/v1/reports/", params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert field in error["fields"]
    assert error["message"]


def test_reports_need_a_signed_in_user(db, api_client):
    response = api_client.get("/api/v1/reports/")
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_csv_export_has_the_same_rows_and_a_totals_line(client, world):
    at = datetime(2026, 1, 10, 10, tzinfo=UTC)
    clicks_ingest(
        dict(offer=world.offer_a, publisher=world.pub_1, at=at),
        dict(offer=world.offer_a, publisher=world.pub_2, at=at),
    )
    response = client.get(
        "/api/v1/reports/",
        {
            "group_by": "publisher",
            "metrics": "clicks,conversions",
            "date_from": "2026-01-10",
            "date_to": "2026-01-10",
            "sort": "publisher",
            "format": "csv",
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines == [
        "publisher,publisher_name,currency,clicks,conversions",
        f"{world.pub_1.id},{world.pub_1.name},USD,1,0",
        f"{world.pub_2.id},{world.pub_2.name},USD,1,0",
        "Total,,USD,2,0",
    ]


def test_a_refused_csv_export_answers_the_json_error(client):
    response = client.get("/api/v1/reports/", {"format": "csv", "tz": "Nowhere/Land"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_time_zone"
