"""Smart links: one publisher link standing for a set of offers (tracking/smart_links.py).

Imported by tracking/models.py, so Django registers them with this app. The redirect decides
each visitor's offer from the smart link's cached snapshot (tracking/clicks/resolve.py), never
per click from these rows.
"""

from django.db import models
from django.db.models import Q


class SmartLink(models.Model):
    """A publisher's link to the best eligible offer of a set, by `rule`:

    - `weighted`: each visitor is sent to one eligible offer in proportion to the weights,
      sticky per visitor (weighted rendezvous hashing, as landing variants);
    - `epc`: epsilon-greedy on recent EPC: most visitors (all but EXPLORE_PERCENT of
      tracking/clicks/smart.py) go to the eligible offer with the highest payout per click
      over the last EPC_DAYS (tracking/smart_links.py: the offer's clicks and approved payout
      in the daily rollups, read when the snapshot is built); the rest explore, picked by
      weight as under `weighted`, so a new offer earns an EPC. Both picks are sticky per
      visitor.

    An offer is eligible when the publisher may run it, it and its advertiser are active, not
    held, its targeting and schedule admit the visitor, and none of its redirect caps was found
    reached when the snapshot was built. None eligible: the visitor goes to `fallback_url`
    (else the network's) and the click's reason is `no_eligible_offer`.
    """

    class Rule(models.TextChoices):
        WEIGHTED = "weighted"
        EPC = "epc"

    code = models.CharField(max_length=32, unique=True)
    publisher = models.ForeignKey(
        "affiliates.Publisher", on_delete=models.CASCADE, related_name="smart_links"
    )
    name = models.CharField(max_length=100)
    rule = models.CharField(max_length=16, choices=Rule.choices, default=Rule.EPC)
    fallback_url = models.URLField(max_length=2000, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["publisher", "name"], name="smart_link_name_unique_per_publisher"
            )
        ]

    def __str__(self) -> str:
        return f"{self.publisher_id}:{self.name}"


class SmartLinkOffer(models.Model):
    smart_link = models.ForeignKey(SmartLink, on_delete=models.CASCADE, related_name="offers")
    offer = models.ForeignKey("offers.Offer", on_delete=models.CASCADE, related_name="+")
    weight = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["smart_link", "offer"], name="smart_link_offer_once"),
            models.CheckConstraint(
                name="smart_link_offer_weight_bounded",
                condition=Q(weight__gte=1, weight__lte=1_000_000),
            ),
        ]
