"""Tiny ASN databases for tests: one hosting range (AS16509, Amazon), one residential range
(AS3320, Deutsche Telekom), in both formats fraud/asn.py reads."""

from pathlib import Path

HOSTING_IP = "52.95.110.7"
RESIDENTIAL_IP = "84.130.5.9"
UNLISTED_IP = "203.0.113.50"
HOSTING_IPV6 = "2600:1f18::1"

TABLE = (
    "52.95.0.0\t52.95.255.255\t16509\tUS\tAMAZON-02\n"
    "84.128.0.0\t84.191.255.255\t3320\tDE\tDTAG Internet service provider operations\n"
    "100.64.0.0\t100.127.255.255\t0\tNone\tNot routed\n"
    "2600:1f00::\t2600:1fff:ffff:ffff:ffff:ffff:ffff:ffff\t16509\tUS\tAMAZON-02\n"
)


def write_asn_table(path: Path, text: str = TABLE) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def write_asn_mmdb(path: Path, networks: dict[str, tuple[int, str]] | None = None) -> Path:
    """A GeoLite2-ASN-shaped MaxMind DB (IPv6 tree holding IPv4 too, as MaxMind ships it)."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    networks = networks or {
        "52.95.0.0/16": (16509, "AMAZON-02"),
        "84.128.0.0/10": (3320, "Deutsche Telekom AG"),
        "2600:1f00::/24": (16509, "AMAZON-02"),
    }
    writer = MMDBWriter(
        ip_version=6, database_type="GeoLite2-ASN", ipv4_compatible=True, int_type="u32"
    )
    for network, (asn, organisation) in networks.items():
        writer.insert_network(
            IPSet([network]),
            {"autonomous_system_number": asn, "autonomous_system_organization": organisation},
        )
    writer.to_db_file(str(path))
    return path
