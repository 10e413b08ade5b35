"""Signals about who sends the traffic, and whether the offer allows it: the hosting network of
the click's address (fraud/asn.py), its source against the offer's terms (fraud/compliance.py),
and links to other publishers through payees, domains and sign-up addresses
(fraud/payee_links.py). Registered into fraud.signals.REGISTRY when imported (fraud/apps.py).
"""

from __future__ import annotations

from fraud import asn, compliance, payee_links
from fraud.signals import SignalContext, signal


@signal(
    "hosting_network",
    stage="click",
    threshold=asn.HOSTING,
    action="flag",
    description="the click's address belongs to a hosting or cloud network (ASN database; "
    "`unknown` when none is loaded); flagged, never rejected by default: privacy relays come "
    "from hosting networks too",
)
def hosting_network(ctx: SignalContext) -> str:
    return asn.hosting_network(ctx.click.ip).value


@signal(
    "traffic_source_forbidden",
    stage="click",
    threshold=True,
    action="flag",
    description="the click's source (its `source` parameter, or the publisher's declared "
    "sources) is a traffic type the offer's terms do not allow",
)
def traffic_source_forbidden(ctx: SignalContext) -> bool | None:
    return compliance.traffic_source_forbidden(
        offer_id=ctx.click.offer_id, publisher_id=ctx.click.publisher_id, source=ctx.click.source
    )


@signal(
    "payout_details_shared",
    stage="conversion",
    threshold=1,
    action="flag",
    description="other publishers paid to the same payee (PayPal or Wise e-mail, IBAN, account)",
)
def payout_details_shared(ctx: SignalContext) -> int:
    return payee_links.payout_details_shared(publisher_id=ctx.click.publisher_id)


@signal(
    "banned_publisher_link",
    stage="conversion",
    threshold=True,
    action="hold",
    description="the publisher shares a company e-mail domain, its sign-up address or a payee "
    "with a banned publisher",
)
def banned_publisher_link(ctx: SignalContext) -> bool:
    return payee_links.banned_publisher_linked(publisher_id=ctx.click.publisher_id)
