"""Typed readers for environment variables that fail loudly, naming the variable."""

import os
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    """NAME from the environment, or else the contents of the file named by NAME_FILE.

    Any variable can come from a file (Docker/systemd credentials, Kubernetes secrets), so
    secrets need not sit in the process environment. A non-empty NAME wins; an empty one gives
    way to NAME_FILE, so a deployment can blank a shared env file's value and use a file
    instead. One trailing newline is dropped.
    """
    raw = os.environ.get(name)
    path = os.environ.get(f"{name}_FILE")
    if raw or not path:
        return raw
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().removesuffix("\n")
    except OSError as exc:
        raise ImproperlyConfigured(f"Environment variable {name}_FILE={path!r}: {exc}") from exc


def _read(name: str, default: T, parse: Callable[[str], T]) -> T:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        return parse(raw)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            f"Environment variable {name}={raw!r} is invalid: {exc}"
        ) from exc


def env_str(name: str, default: str = "") -> str:
    return _read(name, default, str)


def env_bool(name: str, default: bool = False) -> bool:
    def parse(raw: str) -> bool:
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ValueError("expected one of 1/0, true/false, yes/no, on/off")

    return _read(name, default, parse)


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    def parse(raw: str) -> int:
        value = int(raw)
        if minimum is not None and value < minimum:
            raise ValueError(f"must be at least {minimum}")
        return value

    return _read(name, default, parse)


def env_list(name: str, default: list[str]) -> list[str]:
    return _read(
        name, default, lambda raw: [item.strip() for item in raw.split(",") if item.strip()]
    )


def env_url(name: str, schemes: tuple[str, ...]) -> str | None:
    """A URL whose scheme must be one of `schemes`; None when unset or empty."""

    def parse(raw: str) -> str | None:
        if not raw:
            return None
        scheme = raw.split("://", 1)[0] if "://" in raw else ""
        if scheme not in schemes:
            raise ValueError(f"scheme must be one of {', '.join(schemes)}")
        return raw

    return _read(name, None, parse)
