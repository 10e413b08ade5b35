"""Hosting network of an address: installing the operator's ASN file and looking addresses up."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from fraud import asn
from tests.fraud.asn_files import (
    HOSTING_IP,
    HOSTING_IPV6,
    RESIDENTIAL_IP,
    UNLISTED_IP,
    write_asn_mmdb,
    write_asn_table,
)


@pytest.fixture(autouse=True)
def asn_db_path(settings, tmp_path):
    settings.FRAUD_ASN_DB_PATH = str(tmp_path / "installed" / "asn.db")
    settings.FRAUD_HOSTING_ASNS_PATH = ""
    settings.FRAUD_HOSTING_ASNS_EXTRA = []
    asn.asn_cache_clear()
    yield settings.FRAUD_ASN_DB_PATH
    asn.asn_cache_clear()


def test_every_address_is_unknown_while_no_file_is_loaded():
    assert not asn.asn_database_loaded()
    assert asn.hosting_network(HOSTING_IP).value == "unknown"
    assert asn.asn_lookup(HOSTING_IP) is None


@pytest.mark.parametrize("writer", [write_asn_table, write_asn_mmdb], ids=["table", "mmdb"])
def test_an_installed_file_tells_hosting_from_residential_addresses(tmp_path, writer):
    source = writer(tmp_path / "download")
    call_command("asn_load", str(source), stdout=StringIO())

    hosting = asn.hosting_network(HOSTING_IP)
    assert (hosting.value, hosting.asn) == ("hosting", 16509)
    assert "AMAZON" in hosting.organisation
    assert asn.hosting_network(HOSTING_IPV6).value == "hosting"
    assert asn.hosting_network(f"::ffff:{HOSTING_IP}").value == "hosting"
    residential = asn.hosting_network(RESIDENTIAL_IP)
    assert (residential.value, residential.asn) == ("not_hosting", 3320)
    assert asn.hosting_network(UNLISTED_IP).value == "not_hosting"


@pytest.mark.parametrize("address", [None, "", "not-an-address"])
def test_a_click_without_a_usable_address_is_unknown(tmp_path, address):
    call_command("asn_load", str(write_asn_table(tmp_path / "t.tsv")), stdout=StringIO())
    assert asn.hosting_network(address).value == "unknown"


def test_the_table_skips_unrouted_ranges_and_reads_the_cidr_csv_edition(tmp_path):
    call_command("asn_load", str(write_asn_table(tmp_path / "t.tsv")), stdout=StringIO())
    assert asn.asn_lookup("100.64.0.1") is None

    csv_text = (
        "network,autonomous_system_number,autonomous_system_organization\n"
        '52.95.0.0/16,16509,"AMAZON-02, Inc"\n'
    )
    call_command(
        "asn_load", str(write_asn_table(tmp_path / "geo.csv", csv_text)), stdout=StringIO()
    )
    assert asn.asn_lookup(HOSTING_IP) == asn.AsnRecord(16509, "AMAZON-02, Inc")
    assert asn.asn_lookup(RESIDENTIAL_IP) is None


def test_loading_again_refreshes_a_running_process_without_a_restart(tmp_path):
    call_command("asn_load", str(write_asn_table(tmp_path / "old.tsv")), stdout=StringIO())
    assert asn.hosting_network(RESIDENTIAL_IP).value == "not_hosting"

    # The residential range now belongs to a hosting AS (Hetzner, 24940) in a newer file.
    newer = write_asn_mmdb(tmp_path / "new.mmdb", {"84.128.0.0/10": (24940, "Hetzner Online")})
    call_command("asn_load", str(newer), stdout=StringIO())

    assert asn.hosting_network(RESIDENTIAL_IP).value == "hosting"
    assert asn.hosting_network(HOSTING_IP).value == "not_hosting"  # not in the new file


def test_a_bad_file_is_refused_and_the_installed_one_kept(tmp_path, asn_db_path):
    call_command("asn_load", str(write_asn_table(tmp_path / "good.tsv")), stdout=StringIO())
    bad = tmp_path / "bad.tsv"
    bad.write_text("52.95.0.0\t52.95.255.255\t16509\n84.128.0.0\tnonsense\t3320\n")

    with pytest.raises(CommandError, match="Line 2"):
        call_command("asn_load", str(bad))

    assert asn.hosting_network(HOSTING_IP).value == "hosting"
    assert "nonsense" not in Path(asn_db_path).read_text()


def test_a_maxmind_db_of_another_kind_is_refused(tmp_path):
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(database_type="GeoLite2-Country")
    writer.insert_network(IPSet(["52.95.0.0/16"]), {"country": "US"})
    writer.to_db_file(str(tmp_path / "country.mmdb"))

    with pytest.raises(CommandError, match="ASN database"):
        call_command("asn_load", str(tmp_path / "country.mmdb"))
    assert not asn.asn_database_loaded()


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("asn_load", str(tmp_path / "nowhere.mmdb"))


def test_the_operator_extends_the_hosting_list(settings, tmp_path):
    call_command("asn_load", str(write_asn_table(tmp_path / "t.tsv")), stdout=StringIO())
    assert asn.hosting_network(RESIDENTIAL_IP).value == "not_hosting"

    settings.FRAUD_HOSTING_ASNS_EXTRA = ["AS3320"]
    assert asn.hosting_network(RESIDENTIAL_IP).value == "hosting"

    own_list = tmp_path / "hosting.txt"
    own_list.write_text("3320  # only this one\n")
    settings.FRAUD_HOSTING_ASNS_PATH = str(own_list)
    settings.FRAUD_HOSTING_ASNS_EXTRA = []
    assert asn.hosting_network(RESIDENTIAL_IP).value == "hosting"
    assert asn.hosting_network(HOSTING_IP).value == "not_hosting"
