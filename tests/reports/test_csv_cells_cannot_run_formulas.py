"""A report opened in a spreadsheet cannot run a formula a publisher or visitor typed: cells
starting with = + - @ (or tab, CR) are prefixed with a quote; negative numbers stay numbers."""

from datetime import UTC, datetime

import pytest

from affiliates.models import Publisher
from core.csv_cells import csv_cell
from tests import factories
from tests.conftest import client_for
from tests.reports.conftest import clicks_ingest


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("-10.50", "-10.50"),
        ("+3", "+3"),
        ("plain", "plain"),
        (7, 7),
        (None, ""),
    ],
)
def test_a_cell_is_escaped_only_when_a_spreadsheet_would_read_a_formula(value, written):
    assert csv_cell(value) == written


def test_a_publisher_name_and_sub_id_cannot_run_in_the_csv_export(world):
    Publisher.objects.filter(pk=world.pub_1.pk).update(name='=HYPERLINK("http://x.example")')
    at = datetime(2026, 1, 10, 10, tzinfo=UTC)
    clicks_ingest(dict(offer=world.offer_a, publisher=world.pub_1, at=at, sub1="@SUM(1+1)"))
    response = client_for(factories.ManagerFactory()).get(
        "/api/v1/reports/",
        {
            "group_by": "publisher,sub1",
            "metrics": "clicks",
            "date_from": "2026-01-10",
            "date_to": "2026-01-10",
            "format": "csv",
        },
    )
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert lines[1] == f'{world.pub_1.id},"\'=HYPERLINK(""http://x.example"")",\'@SUM(1+1),USD,1'
