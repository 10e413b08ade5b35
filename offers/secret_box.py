"""Advertisers' postback secrets, encrypted at rest with keys from settings.

CALLBACK_SECRET_KEYS is a list of Fernet keys: the first encrypts, every one decrypts
(MultiFernet), so the key-encryption key is rotated by putting a new key first, running
`manage.py postback_secrets_reencrypt` (or `secrets_reencrypt()`), then dropping the old key.
A database dump alone does not reveal any secret; a dump plus the settings does, which is the
price of signatures keyed by the secret itself (signature v2, tracking/callbacks/auth.py).
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadableError(Exception):
    """The stored secret was encrypted under a key no longer in CALLBACK_SECRET_KEYS."""


@cache
def _box(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    return _box(tuple(settings.CALLBACK_SECRET_KEYS))


def secret_encrypt(raw: str) -> str:
    return _current().encrypt(raw.encode()).decode()


def secret_decrypt(token: str) -> str:
    """The raw secret of a stored token. Raises SecretUnreadableError."""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadableError("no key in CALLBACK_SECRET_KEYS decrypts this secret") from exc


def secret_reencrypt(token: str) -> str:
    """The same secret under the first key (MultiFernet.rotate). Raises SecretUnreadableError."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadableError("no key in CALLBACK_SECRET_KEYS decrypts this secret") from exc
