"""`{% nav 'portal:name' 'Label' %}`: a header link, marked aria-current="page" (styled as the
active item) when the page is under it. The longest match among the header's links wins, so
/advertiser/ (Offers) is not current on /advertiser/conversions/."""

import re
from functools import cache

from django import template
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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


class _MenuNode(template.Node):
    def __init__(self, label: template.base.FilterExpression, nodelist: template.NodeList):
        self.label = label
        self.nodelist = nodelist

    def render(self, context) -> str:
        items = self.nodelist.render(context)
        label = self.label.resolve(context)
        if 'aria-current="page"' in items:
            return format_html(
                '<details class="menu current"><summary>{}'
                '<span class="sr-only"> (the current page is here)</span></summary>'
                '<div class="menu-items">{}</div></details>',
                label,
                mark_safe(items),  # noqa: S308 - the links rendered by {% nav %}, escaped there
            )
        return format_html(
            '<details class="menu"><summary>{}</summary><div class="menu-items">{}</div></details>',
            label,
            mark_safe(items),  # noqa: S308 - the links rendered by {% nav %}, escaped there
        )


@register.tag
def navmenu(parser, token) -> _MenuNode:
    """`{% navmenu 'Finance' %}{% nav ... %}...{% endnavmenu %}`: a group of header links in a
    <details> disclosure (no script: the summary opens it by mouse, touch, Enter or Space). The
    group holding the current page's link is marked (class "current", and said to screen
    readers) but stays closed, so it never covers the page."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("{% navmenu 'Label' %} takes one label")
    nodelist = parser.parse(("endnavmenu",))
    parser.delete_first_token()
    return _MenuNode(parser.compile_filter(bits[1]), nodelist)
