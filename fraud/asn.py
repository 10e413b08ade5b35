"""Hosting network of an address, from an operator-supplied ASN database.

The operator installs one file at FRAUD_ASN_DB_PATH with `manage.py asn_load <path>`:
- a MaxMind DB (GeoLite2-ASN, GeoIP2-ISP), read through `maxminddb`, or
- an ip-to-ASN table, tab- or comma-separated, one range a line: `start end asn [country]
  [description]` (iptoasn.com's ip2asn-v4.tsv / ip2asn-combined.tsv), or `network,asn,
  organisation` with a CIDR network (GeoLite2-ASN's CSV edition). A header line is skipped.

The format is told from the content, not the name (the MaxMind metadata marker). Each process
opens the file once and opens it again when the file at the path changes (its inode, size or
modification time), so `asn_load` refreshes running workers without a restart. With no file
there, every address is `unknown`: the signal then says nothing rather than "clean".

An address whose AS is in the hosting list (fraud/data/hosting_asns.txt, extended by
FRAUD_HOSTING_ASNS_EXTRA or replaced by FRAUD_HOSTING_ASNS_PATH) is `hosting`. Hosting is
flagged, never rejected by default: privacy relays and corporate proxies come from such
networks too.
"""

from __future__ import annotations

import bisect
import csv
import ipaddress
import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import maxminddb
from django.conf import settings

from core.errors import DomainError
from core.validation import whole_number

logger = logging.getLogger(__name__)

# Signal values of `hosting_network`.
HOSTING = "hosting"
NOT_HOSTING = "not_hosting"
UNKNOWN = "unknown"

MMDB_MARKER = b"\xab\xcd\xefMaxMind.com"
_MMDB_TAIL = 128 * 1024  # the metadata section sits within the file's last 128 KiB
SHIPPED_HOSTING_ASNS = Path(__file__).resolve().parent / "data" / "hosting_asns.txt"
# A process looks at the installed files (os.stat) at most this often, not once per click: a
# new file is in use within this time (at once in the process that installed it).
STAT_SECONDS = 1.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class AsnRecord:
    asn: int
    organisation: str = ""


class AsnFileError(DomainError):
    """The file is not an ASN database we can read (asn_load refuses it, naming why)."""

    def __init__(self, message: str) -> None:
        super().__init__("asn_file_invalid", message)


# Tables ----------------------------------------------------------------------------------------


class MmdbTable:
    kind = "mmdb"

    def __init__(self, path: str) -> None:
        try:
            self.reader = maxminddb.open_database(path)
        except (maxminddb.InvalidDatabaseError, ValueError, OSError) as exc:
            raise AsnFileError(f"Not a readable MaxMind DB: {exc}") from exc
        database_type = str(self.reader.metadata().database_type)
        if not any(word in database_type.upper() for word in ("ASN", "ISP")):
            self.reader.close()
            raise AsnFileError(
                f"MaxMind DB of type {database_type!r}: an ASN database (GeoLite2-ASN, "
                "GeoIP2-ISP) is needed."
            )
        self.size = int(self.reader.metadata().node_count)

    def lookup(self, address: IPAddress) -> AsnRecord | None:
        try:
            row = self.reader.get(address)
        except ValueError:  # an IPv6 address in an IPv4-only database
            return None
        if not isinstance(row, dict) or not row.get("autonomous_system_number"):
            return None
        return AsnRecord(
            asn=int(row["autonomous_system_number"]),
            organisation=str(row.get("autonomous_system_organization") or ""),
        )

    def close(self) -> None:
        self.reader.close()


class RangeTable:
    """Sorted address ranges per IP version, searched by bisection."""

    kind = "table"

    def __init__(self, path: str) -> None:
        ranges: dict[int, list[tuple[int, int, AsnRecord]]] = {4: [], 6: []}
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                for number, line in enumerate(handle, start=1):
                    parsed = _table_line(line, number)
                    if parsed is not None:
                        version, start, end, record = parsed
                        ranges[version].append((start, end, record))
        except UnicodeDecodeError as exc:
            raise AsnFileError(f"Neither a MaxMind DB nor a text table: {exc}") from exc
        self.starts: dict[int, list[int]] = {}
        self.rows: dict[int, list[tuple[int, int, AsnRecord]]] = {}
        for version, rows in ranges.items():
            rows.sort(key=lambda row: row[0])
            self.rows[version] = rows
            self.starts[version] = [row[0] for row in rows]
        self.size = len(ranges[4]) + len(ranges[6])
        if not self.size:
            raise AsnFileError("The table holds no address range with an AS number.")

    def lookup(self, address: IPAddress) -> AsnRecord | None:
        value = int(address)
        starts = self.starts[address.version]
        index = bisect.bisect_right(starts, value) - 1
        if index < 0:
            return None
        start, end, record = self.rows[address.version][index]
        return record if start <= value <= end else None

    def close(self) -> None:
        pass


def _table_line(line: str, number: int) -> tuple[int, int, int, AsnRecord] | None:
    """(ip version, first, last, record) of one table line; None for blanks, comments, the
    header and unrouted ranges (AS 0)."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    delimiter = "\t" if "\t" in text else ","
    cells = [cell.strip() for cell in next(csv.reader([text], delimiter=delimiter))]
    try:
        if "/" in cells[0]:  # network,asn,organisation
            network = ipaddress.ip_network(cells[0], strict=False)
            first, last = network.network_address, network.broadcast_address
            asn_cell, organisation = cells[1], (cells[2] if len(cells) > 2 else "")
        else:  # start,end,asn[,country][,description]
            first, last = ipaddress.ip_address(cells[0]), ipaddress.ip_address(cells[1])
            asn_cell, organisation = cells[2], (cells[4] if len(cells) > 4 else "")
        asn = int(asn_cell.upper().removeprefix("AS"))
    except (ValueError, IndexError) as exc:
        if number == 1:  # a header line
            return None
        raise AsnFileError(
            f"Line {number}: not `start end asn ...` or `network,asn,...`: {exc}"
        ) from exc
    if first.version != last.version or int(first) > int(last):
        raise AsnFileError(f"Line {number}: the range's ends are out of order or mixed.")
    if asn < 0:
        raise AsnFileError(f"Line {number}: a negative AS number.")
    if asn == 0:  # iptoasn's "Not routed"
        return None
    return first.version, int(first), int(last), AsnRecord(asn=asn, organisation=organisation)


def asn_table_open(path: str | os.PathLike[str]) -> MmdbTable | RangeTable:
    """Open and check an ASN file of either format (told from its content)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - _MMDB_TAIL))
            tail = handle.read()
    except OSError as exc:
        raise AsnFileError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    if MMDB_MARKER in tail:
        return MmdbTable(path)
    return RangeTable(path)


# The installed file ---------------------------------------------------------------------------


def asn_database_install(*, source: str | os.PathLike[str]) -> MmdbTable | RangeTable:
    """Check `source` and put it at FRAUD_ASN_DB_PATH atomically (a copy, then a rename in the
    same directory), so a worker reading the old file never sees half of the new one. Safe to
    run again with a newer file (a refresh) or with the installed file itself (a check)."""
    target = Path(settings.FRAUD_ASN_DB_PATH)
    table = asn_table_open(source)
    table.close()
    if Path(source).resolve() == target.resolve():
        return table
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with open(source, "rb") as src, os.fdopen(handle, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _cache.recheck()
    return table


class _Cache:
    """The process's open table, opened again when the file at the path is a different one."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: tuple | None = None
        self.table: MmdbTable | RangeTable | None = None
        self.hosting_key: tuple | None = None
        self.hosting: frozenset[int] = frozenset()
        # The path each was last looked at under, and when to look (os.stat) again.
        self.seen: tuple[str, float] = ("", 0.0)
        self.hosting_seen: tuple[tuple, float] = ((), 0.0)

    def recheck(self) -> None:
        """Look at the files again on the next lookup (a file was installed here)."""
        self.seen, self.hosting_seen = ("", 0.0), ((), 0.0)

    def current(self) -> MmdbTable | RangeTable | None:
        path = settings.FRAUD_ASN_DB_PATH
        now = time.monotonic()
        seen_path, until = self.seen
        if seen_path == path and now < until:
            return self.table
        try:
            stat = os.stat(path)
        except OSError:
            key = None
        else:
            key = (path, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if key != self.key:
            with self.lock:
                if key != self.key:
                    self._reopen(path, key)
        self.seen = (path, now + STAT_SECONDS)
        return self.table

    def _reopen(self, path: str, key: tuple | None) -> None:
        old = self.table
        if key is None:
            self.table = None
        else:
            try:
                self.table = asn_table_open(path)
            except AsnFileError as exc:
                # Installed by hand past asn_load's check: keep answering from the old table.
                logger.error("ASN database %s unreadable, keeping the previous one: %s", path, exc)
                self.key = key
                return
        self.key = key
        if old is not None and old is not self.table:
            old.close()

    def hosting_asns(self) -> frozenset[int]:
        path = settings.FRAUD_HOSTING_ASNS_PATH or str(SHIPPED_HOSTING_ASNS)
        extra = tuple(settings.FRAUD_HOSTING_ASNS_EXTRA)
        now = time.monotonic()
        seen, until = self.hosting_seen
        if seen == (path, extra) and now < until:
            return self.hosting
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            mtime = None
        key = (path, mtime, extra)
        if key != self.hosting_key:
            with self.lock:
                self.hosting = hosting_asns_parse(path, extra)
                self.hosting_key = key
        self.hosting_seen = ((path, extra), now + STAT_SECONDS)
        return self.hosting

    def clear(self) -> None:
        with self.lock:
            if self.table is not None:
                self.table.close()
            self.key, self.table, self.hosting_key = None, None, None
            self.recheck()


_cache = _Cache()


def hosting_asns_parse(path: str, extra: tuple[str, ...] = ()) -> frozenset[int]:
    numbers: set[int] = set()
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError as exc:
        logger.error("Hosting AS list %s unreadable: %s", path, exc)
        lines = []
    for line in [*lines, *extra]:
        text = line.split("#", 1)[0].strip().upper().removeprefix("AS")
        number = whole_number(text)
        if number is not None:
            numbers.add(number)
    return frozenset(numbers)


def asn_cache_clear() -> None:
    """Forget the open table (tests; a worker notices a new file by itself)."""
    _cache.clear()


def _address(ip: str | None) -> IPAddress | None:
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def asn_lookup(ip: str | None) -> AsnRecord | None:
    """The AS announcing `ip`, or None (no database, no address, or not in the database)."""
    address = _address(ip)
    table = _cache.current()
    if address is None or table is None:
        return None
    return table.lookup(address)


def asn_database_loaded() -> bool:
    return _cache.current() is not None


@dataclass(frozen=True)
class HostingVerdict:
    value: str  # HOSTING, NOT_HOSTING or UNKNOWN
    asn: int | None = None
    organisation: str = ""

    def evidence(self) -> dict[str, object]:
        return {"asn": self.asn, "organisation": self.organisation}


def hosting_network(ip: str | None) -> HostingVerdict:
    """`hosting` when the address's AS is a hosting network; `unknown` without a database or
    an address; `not_hosting` otherwise (an address the database does not hold included)."""
    address = _address(ip)
    table = _cache.current()
    if address is None or table is None:
        return HostingVerdict(UNKNOWN)
    record = table.lookup(address)
    if record is None:
        return HostingVerdict(NOT_HOSTING)
    value = HOSTING if record.asn in _cache.hosting_asns() else NOT_HOSTING
    return HostingVerdict(value, record.asn, record.organisation)
