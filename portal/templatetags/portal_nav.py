"""`{% nav 'portal:name' 'Label' %}`: a header link, marked aria-current="page" (styled as the
active item) when the page is under it. The longest match among the header's links wins, so
/advertiser/ (Offers) is not current on /advertiser/conversions/."""

import re
from functools import cache

from django import template
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

register = template.Library()

# The header's own template: every `{% nav 'name' ... %}` in it is a candidate for a path, read
# from the template itself so a link added to the header can never be left out of the contest
# (a forgotten one made /advertiser/ (Offers) current beside /advertiser/invoices/ (Invoices)).
HEADER = "portal/base.html"
_NAV_TAG = re.compile(r"{%\s*nav\s+'([\w:-]+)'")


@cache
def _hrefs() -> tuple[str, ...]:
    source = get_template(HEADER).template.source  # type: ignore[attr-defined]
    found = []
    for name in dict.fromkeys(_NAV_TAG.findall(source)):
        try:
            found.append(reverse(name))
        except NoReverseMatch:
            continue
    return tuple(dict.fromkeys(found))


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
