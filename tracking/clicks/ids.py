"""Click ids: ULIDs (26 characters, Crockford base32, URL-safe).

48 bits of millisecond time then 80 random bits: unguessable, and sortable by time, so the id
alone tells when the click happened. The clicks table stores that time as `created_at`, the
partition key, which makes (click_id, created_at) a unique key that partitions can hold.
"""

from datetime import UTC, datetime

from ulid import ULID

CLICK_ID_LENGTH = 26
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD = frozenset(_ALPHABET)
_VALUE = {char: index for index, char in enumerate(_ALPHABET)}


def click_id_new() -> str:
    return str(ULID())


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
