"""A creative test's rotating code for a publisher, and the test's part of the link snapshot.

One code per publisher and test, whatever the arms:
- every arm a banner: `<a href="<link>?ct=<test>"><img src="/ct/<code>/<test>/image"></a>`;
  the image request is answered with a 302 to this visitor's banner;
- else (a text link or HTML snippet among them): an `<iframe src="/ct/<code>/<test>/frame">`
  whose page shows this visitor's creative, linking to the same click URL.
The image (or frame) and the click pick the arm from the same hash of the visitor
(tracking/clicks/creative_tests.py), so the click records the creative that was shown.
"""

import html
from dataclasses import dataclass

from offers.creative_services import CREATIVE_SHOWN, creative_image_src
from offers.creative_test_services import creative_test_arms_live
from offers.creative_tests import CreativeTest
from offers.creatives import Creative
from tracking.clicks.creative_tests import LINK_SLOT, PARAM
from tracking.creatives import creative_code
from tracking.links import link_get_or_create, link_url

# The frame's size when no arm says one (text links and HTML snippets carry none).
FRAME_DEFAULT = (300, 100)


def creative_tests_snapshot(*, offer_id: int) -> list[list]:
    """LinkSnapshot.creative_tests: [test id, [[creative id, weight, image URL, code]...]]."""
    return [
        [
            test_id,
            [
                [
                    creative.id,
                    weight,
                    creative_image_src(creative) if creative.kind == Creative.Kind.BANNER else "",
                    creative_code(creative=creative, click_url=LINK_SLOT),
                ]
                for creative, weight in arms
            ],
        ]
        for test_id, arms in creative_test_arms_live(offer_id=offer_id)
    ]


@dataclass(frozen=True)
class RotatingCode:
    test_id: int
    form: str  # "image" (every arm a banner) or "frame"
    click_url: str
    serve_url: str  # the image's or the frame's URL
    code: str  # the HTML to paste


def creative_test_code(*, test: CreativeTest, publisher_id: int) -> RotatingCode:
    """The publisher's code for `test` (its link to the offer minted on first use)."""
    link = link_get_or_create(offer_id=test.offer_id, publisher_id=publisher_id)
    click_base = link_url(link)
    base = click_base[: -len(f"/c/{link.code}")]
    click_url = f"{click_base}?{PARAM}={test.id}"
    creatives = list(
        Creative.objects.filter(
            CREATIVE_SHOWN,
            id__in=test.arms.filter(is_active=True).values("creative_id"),
        ).order_by("id")
    )
    href = html.escape(click_url, quote=True)
    alt = html.escape(test.name, quote=True)
    widths = {creative.width for creative in creatives}
    heights = {creative.height for creative in creatives}
    if creatives and all(creative.kind == Creative.Kind.BANNER for creative in creatives):
        serve_url = f"{base}/ct/{link.code}/{test.id}/image"
        # A size only when every banner has the same one: the browser lays the image out as is.
        size = "".join(
            f' {name}="{next(iter(values))}"'
            for name, values in (("width", widths), ("height", heights))
            if len(values) == 1 and None not in values
        )
        code = (
            f'<a href="{href}" rel="sponsored noopener" target="_blank">'
            f'<img src="{html.escape(serve_url, quote=True)}"{size} alt="{alt}"></a>'
        )
        return RotatingCode(test.id, "image", click_url, serve_url, code)
    serve_url = f"{base}/ct/{link.code}/{test.id}/frame"
    width = max((value for value in widths if value), default=FRAME_DEFAULT[0])
    height = max((value for value in heights if value), default=FRAME_DEFAULT[1])
    code = (
        f'<iframe src="{html.escape(serve_url, quote=True)}" width="{width}" height="{height}" '
        f'title="{alt}" scrolling="no" style="border:0" '
        'sandbox="allow-popups allow-popups-to-escape-sandbox"></iframe>'
    )
    return RotatingCode(test.id, "frame", click_url, serve_url, code)
