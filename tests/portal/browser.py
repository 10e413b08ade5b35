"""A real headless browser for the page tests: Debian's chromium, driven by Playwright.

We never run `playwright install`: Playwright talks to /usr/bin/chromium (installed by
`make test` when missing, scripts/chromium_ensure.sh). Screenshots go to docs/screenshots/ only
when AFFNET_SCREENSHOTS=1 (scripts/screenshots.py), so `make test` leaves the tree clean.
"""

import base64
import gc
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.portal.localhttp import recording_server

CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


LANDING_HOST = "shop.example"


@pytest.fixture
def landing() -> Iterator[dict]:
    """The advertiser's site, the one fake: a local server that chromium reaches for
    http://shop.example/ (offer URLs carry no port, so the browser maps the name to it)."""
    with recording_server(body=b"<h1>Acme landing</h1>") as server:
        yield server


@pytest.fixture
def browser(monkeypatch, landing) -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    # Playwright's sync API keeps an asyncio loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        port = landing["url"].rsplit(":", 1)[1]
        rules = f"--host-resolver-rules=MAP {LANDING_HOST} 127.0.0.1:{port}"
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, rules]
        )
        try:
            yield launched
        finally:
            launched.close()
    _close_stray_connections()


def _close_stray_connections() -> None:
    """Close the database connection the test body opened in Playwright's context.

    Django keeps connections per contextvars context (asgiref's Local), and once the sync API
    has run, the test body resumes in another context than its fixtures: its ORM calls open a
    second connection that nothing closes, and dropping the test database then finds it in use.
    """
    from django.db import connections
    from django.db.backends.base.base import BaseDatabaseWrapper

    ours = set(map(id, connections.all(initialized_only=True)))
    for wrapper in gc.get_objects():
        try:
            stray = (
                isinstance(wrapper, BaseDatabaseWrapper)
                and id(wrapper) not in ours
                and wrapper._thread_ident == threading.get_ident()  # other threads close theirs
            )
        except ReferenceError:  # a weak proxy whose object is gone: nothing to close
            continue
        if stray:
            wrapper.close()


# Headless chromium says "HeadlessChrome", which the click path rightly counts as a bot (and
# sends to the fallback URL): the visitor in these tests is a person.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def page_new(browser, base_url: str):
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 860}, user_agent=USER_AGENT
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.set_default_timeout(15_000)
    return context.new_page()


def sign_in(page, username: str, password: str) -> None:
    """Sign in as a person would, giving the two-factor code when asked: on first sign-in a
    finance user or superuser enrols (the code is computed from the key the page shows, as the
    authenticator app would); later, the code comes from the device's key."""
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form[action='/login/'] button[type=submit]")
    page.wait_for_load_state()
    if "/account/two-factor/verify/" in page.url:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        page.fill("#id_token", _code(device.bin_key))
        page.click("button[type=submit]")
        page.wait_for_load_state()
    elif "/account/two-factor/" in page.url:
        text = page.inner_text("#totp-key").strip()
        key = base64.b32decode(text + "=" * (-len(text) % 8))
        page.fill("#id_token", _code(key))
        page.click("button:text('Turn on')")
        page.wait_for_load_state()


def _code(key: bytes) -> str:
    from django_otp.oath import totp

    return f"{totp(key):06d}"


def screenshot(page, name: str) -> None:
    if os.environ.get("AFFNET_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


# A phone's viewport: the 390 px.
PHONE = {"width": 390, "height": 844}

# What a page must show at phone width, read in the page itself: no sideways scroll (naming the
# widest elements outside a scrolling box), the skip link first to main#main, exactly one current
# header item, every column header scoped.
PHONE_AUDIT = """() => {
  const found = [];
  const width = document.documentElement.scrollWidth;
  if (width > window.innerWidth) {
    const wide = [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
      .filter((e) => !e.parentElement.closest(".scroll"))
      .slice(-3).map((e) => e.tagName + (e.id ? "#" + e.id : "") + "." + e.className);
    found.push(`${width} px wide: ${wide.join(", ")}`);
  }
  const skip = document.body.firstElementChild;
  if (!skip || !skip.matches("a.skip-link[href='#main']") || !document.querySelector("main#main"))
    found.push("no skip link first to main#main");
  if (document.querySelectorAll("header nav a[aria-current='page']").length !== 1)
    found.push("not one current header item");
  for (const th of document.querySelectorAll("table thead th"))
    if (!th.getAttribute("scope"))
      found.push(`a column header without scope: ${th.textContent.trim() || "(empty)"}`);
  return found;
}"""


def phone_problems(page) -> list[str]:
    """What PHONE_AUDIT finds wrong on the page as it is now (empty: nothing)."""
    return page.evaluate(PHONE_AUDIT)
