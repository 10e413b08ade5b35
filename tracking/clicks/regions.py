"""The visitor's region (ISO 3166-2 subdivision, e.g. US-CA), for offers targeting regions.

iptocc, which gives the country, has no subdivisions. A region comes only from a city-level
MaxMind DB the operator supplies (GeoLite2-City or GeoIP2-City .mmdb) at
CLICK_GEOIP_CITY_PATH, read through `maxminddb` (memory-mapped, a few microseconds a lookup,
no network). Without it, or for an address it does not place, the region is "" (unknown): an
offer targeting regions of the visitor's country then turns the visitor away with the reason
`region_unknown`, since the advertiser pays for those regions only.

Each process opens the file once, and again when the file at the path changes (inode, size or
modification time), checked at most every RECHECK_SECONDS, so replacing the file needs no
restart.
"""

import logging
import os
import threading
import time

import maxminddb
from django.conf import settings

logger = logging.getLogger(__name__)

RECHECK_SECONDS = 60.0


class _CityDb:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reader: maxminddb.Reader | None = None
        self._stamp: tuple | None = None
        self._path = ""
        self._checked = 0.0

    def reader(self) -> "maxminddb.Reader | None":
        now = time.monotonic()
        if now - self._checked < RECHECK_SECONDS:
            return self._reader
        with self._lock:
            path = settings.CLICK_GEOIP_CITY_PATH
            self._checked = now
            self._path = path
            try:
                stat = os.stat(path) if path else None
            except OSError:
                stat = None
            stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns) if stat else None
            if stamp != self._stamp:
                self._stamp = stamp
                self._reader = None
                if stamp is not None:
                    try:
                        self._reader = maxminddb.open_database(path)
                    except (maxminddb.InvalidDatabaseError, ValueError, OSError):
                        logger.exception("city database %s unreadable: regions unknown", path)
            return self._reader

    def forget(self) -> None:
        with self._lock:
            self._path, self._stamp, self._reader, self._checked = "", None, None, 0.0


_db = _CityDb()


def city_db_forget() -> None:
    """Read the path again at the next lookup (tests, after changing the setting)."""
    _db.forget()


def client_region(*, ip: str | None, country: str) -> str:
    """ "CC-SUB" for the address, or "" (unknown): no database, no record, no subdivision, or
    a record of another country than the one the click was placed in."""
    if not ip or not country:
        return ""
    reader = _db.reader()
    if reader is None:
        return ""
    try:
        record = reader.get(ip)
    except ValueError:
        return ""
    if not isinstance(record, dict):
        return ""
    found = (record.get("country") or {}).get("iso_code") or ""
    subdivisions = record.get("subdivisions") or []
    if found.upper() != country.upper() or not subdivisions:
        return ""
    code = str(subdivisions[0].get("iso_code") or "")
    if not code or len(code) > 3:
        return ""
    return f"{country.upper()}-{code.upper()}"
