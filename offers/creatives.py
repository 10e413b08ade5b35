"""Creatives: the banners, text links and HTML snippets an offer's publishers put on their pages.

Imported by offers/models.py, so Django registers them with this app. The redirect reads the
ids of an offer's live creatives from the link snapshot (tracking/clicks/resolve.py), never per
click, to check the `creative` parameter of a click.
"""

import secrets

from django.db import models
from django.db.models import Q

# Where an uploaded banner is stored through Django's storage API (default_storage): under this
# prefix only, so the web server serves MEDIA_URL + this prefix and nothing else of MEDIA_ROOT
# (tax forms live there too and are never served by URL).
CREATIVE_FILE_PREFIX = "creatives/"


def creative_file_path(instance: "Creative", filename: str) -> str:
    """A random name: neither the uploader's file name nor the offer's ids enter the URL."""
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"{CREATIVE_FILE_PREFIX}{secrets.token_hex(16)}.{extension}"


class Creative(models.Model):
    """One creative of an offer.

    `banner`: an image (`image_url`, or an uploaded `image_file` whose type and size were read
    from its bytes by offers/creative_services.py; `width` x `height`) linking to the
    publisher's tracking link. `text`: a text link (`text`). `html`: a snippet (`html`) kept
    only as sanitised by offers/creative_services.py (nh3), in which `{tracking_link}` stands
    for the publisher's link. Managers and the offer's advertiser write them; an advertiser's
    write waits for a manager's approval before publishers see it (or its clicks count as its
    clicks).
    """

    class Kind(models.TextChoices):
        BANNER = "banner"
        TEXT = "text"
        HTML = "html"

    offer = models.ForeignKey("offers.Offer", on_delete=models.CASCADE, related_name="creatives")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    image_url = models.URLField(max_length=2000, blank=True)
    image_file = models.FileField(upload_to=creative_file_path, max_length=200, blank=True)
    image_content_type = models.CharField(max_length=20, blank=True)
    image_bytes = models.PositiveIntegerField(null=True, blank=True)
    text = models.CharField(max_length=500, blank=True)
    html = models.TextField(blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    approved = models.BooleanField(default=False)
    approved_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "name"], name="creative_name_unique"),
            models.CheckConstraint(
                name="creative_size_bounded",
                condition=(Q(width__isnull=True) | Q(width__gt=0, width__lte=10_000))
                & (Q(height__isnull=True) | Q(height__gt=0, height__lte=10_000)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer_id}:{self.name}"
