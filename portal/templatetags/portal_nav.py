"""`{% nav 'portal:name' 'Label' %}`: a header link, marked aria-current="page" (styled as the
active item) when the page is under it. The longest match among the header's links wins, so
/advertiser/ (Offers) is not current on /advertiser/conversions/."""

from functools import cache

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

register = template.Library()

# Every link of the header (portal/templates/portal/base.html): the candidates for a path.
NAV_NAMES = (
    "admin:index",
    "portal:advertiser-access",
    "portal:advertiser-callbacks",
    "portal:advertiser-chart",
    "portal:advertiser-conversions",
    "portal:advertiser-offers",
    "portal:advertiser-postback",
    "portal:audit-log",
    "portal:finance-balances",
    "portal:finance-batches",
    "portal:finance-confirmations",
    "portal:finance-invoices",
    "portal:finance-periods",
    "portal:finance-tax-forms",
    "portal:manager-access",
    "portal:manager-advertisers",
    "portal:manager-conversions",
    "portal:manager-inbox",
    "portal:manager-offers",
    "portal:manager-publishers",
    "portal:network-dashboard",
    "portal:network-invitations",
    "portal:network-sign-ups",
    "portal:publisher-dashboard",
    "portal:publisher-offers",
    "portal:publisher-payouts",
    "portal:publisher-postbacks",
    "portal:reports",
    "portal:validation",
)


@cache
def _hrefs() -> tuple[str, ...]:
    found = []
    for name in NAV_NAMES:
        try:
            found.append(reverse(name))
        except NoReverseMatch:
            continue
    return tuple(found)


def nav_current(*, path: str, href: str) -> bool:
    best = max((h for h in (*_hrefs(), href) if path.startswith(h)), key=len, default=None)
    return best == href


@register.simple_tag(takes_context=True)
def nav(context, name: str, label: str) -> str:
    href = reverse(name)
    request = context.get("request")
    if request is not None and nav_current(path=request.path, href=href):
        return format_html('<a href="{}" aria-current="page">{}</a>', href, label)
    return format_html('<a href="{}">{}</a>', href, label)
