"""Click ids: ULIDs (26 characters, Crockford base32, URL-safe).

48 bits of millisecond time then 80 random bits: unguessable, and sortable by time, so the id
alone tells when the click happened. The clicks table stores that time as `created_at`, the
partition key, which makes (click_id, created_at) a unique key that partitions can hold.

A test click (through a sandbox link) keeps the ULID's time part and starts its random part with
TEST (characters 11 to 14), so it cannot be taken for a real one: a real id whose random part
happens to start so is drawn again (one in about a million).
"""

import secrets
from datetime import UTC, datetime

from ulid import ULID

CLICK_ID_LENGTH = 26
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD = frozenset(_ALPHABET)
_VALUE = {char: index for index, char in enumerate(_ALPHABET)}
TEST_MARK = "TEST"
_TIME_CHARS = 10


def click_id_new() -> str:
    while True:
        click_id = str(ULID())
        if not click_id_is_test(click_id):
            return click_id


def click_id_test_new() -> str:
    """A test click id: a ULID's time part, then TEST and 12 random characters."""
    time_part = str(ULID())[:_TIME_CHARS]
    tail = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"{time_part}{TEST_MARK}{tail}"


def click_id_is_test(click_id: str) -> bool:
    return click_id[_TIME_CHARS : _TIME_CHARS + len(TEST_MARK)] == TEST_MARK


def click_id_is_valid(click_id: str) -> bool:
    return (
        len(click_id) == CLICK_ID_LENGTH
        and click_id[0] <= "7"  # a larger first character overflows 128 bits
        and _CROCKFORD.issuperset(click_id)
    )


def click_id_time(click_id: str) -> datetime:
    """The instant encoded in the id, at millisecond precision, in UTC.

    The first 10 characters are the 48-bit millisecond timestamp; decoded here directly, since
    the ingester asks for every click (python-ulid would build the whole 128-bit value)."""
    millis = 0
    for char in click_id[:10]:
        millis = millis * 32 + _VALUE[char]
    seconds, millis = divmod(millis, 1000)
    return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=millis * 1000)
