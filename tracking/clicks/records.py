"""A buffered click record (the JSON the redirect writes to the stream) made into a Click.

Shared by the click store (which inserts them) and the click lookup (which finds a click still
buffered); it imports neither, so the lookup does not reach the store's hooks.
"""

import ipaddress

from tracking.clicks.bots import user_agent_is_bot
from tracking.clicks.ids import click_id_time
from tracking.models import Click

MAX_FIELD = 255  # sub ids and source (Click's columns)
SMART_CHOICE_MAX = 2000  # a smart link's decision (50 candidates at most, ~25 characters each)


def click_from_record(*, record: dict, unique: bool, capped: bool) -> Click:
    """The Click of a buffered record. Every text is made storable here (no NUL, no lone
    surrogate, no more than its column holds, an address or none), so one odd record cannot
    fail the insert of its batch: the redirect drops malformed sub ids itself, this is the
    second lock, for records written by an older redirect or by hand."""
    bad = [name for name in str(record.get("bp") or "").split(",") if name]
    subs = list(record.get("s") or [])[:5]
    subs += [""] * (5 - len(subs))
    for index, sub in enumerate(subs):
        subs[index] = _field(sub, bad, f"sub{index + 1}")
    source = _field(record.get("src"), bad, "source")
    reason = record.get("fr") or (Click.Reason.CAP_REACHED if capped else Click.Reason.NONE)
    user_agent = _storable(record.get("ua"))
    # Positional, in tracking.clicks.store.COLUMNS order after the id: Django's fast path for
    # building a model, which the ingester does for every click.
    click = Click(
        None,
        record["id"],
        click_id_time(record["id"]),
        int(record["o"]),
        int(record["p"]),
        record.get("l"),
        _address(record.get("ip")),
        user_agent,
        _storable(record.get("r")),
        _storable(record.get("cc"))[:2],
        _storable(record.get("dv"))[:16],
        *subs,
        source,
        unique,
        user_agent_is_bot(user_agent),
        _storable(reason)[:32],
        ",".join(dict.fromkeys(bad))[:64],
    )
    # A visitor turned away (a cap found reached with the append) saw no landing variant.
    variant = record.get("lv")
    if variant is not None and not reason:
        click.landing_variant_id = int(variant)
    # The creative clicked, whatever the redirect decided (checked by the redirect).
    creative = record.get("cv")
    if creative is not None:
        click.creative_id = int(creative)
        # Shown by a creative test's rotating code (tracking/clicks/creative_tests.py).
        creative_test = record.get("ctt")
        if creative_test is not None:
            click.creative_test_id = int(creative_test)
    click.region = _storable(record.get("rg"))[:8]
    smart_link = record.get("sl")
    if smart_link is not None:
        click.smart_link_id = int(smart_link)
        click.smart_choice = _storable(record.get("sx"))[:SMART_CHOICE_MAX]
    return click


def _storable(value: object) -> str:
    """`value` as text PostgreSQL keeps: NULs removed, lone surrogates replaced."""
    if value is None:
        return ""
    text = value if type(value) is str else str(value)
    if text.isascii():
        return text.replace("\x00", "") if "\x00" in text else text
    return text.replace("\x00", "").encode("utf-8", "replace").decode()


def _field(value: object, bad: list[str], name: str) -> str:
    """A sub id or source: kept when storable as sent, else dropped and named in `bad`."""
    text = _storable(value)
    if len(text) > MAX_FIELD or (value and text != value):
        bad.append(name)
        return ""
    return text


def _address(value: object) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        return None
