"""The kinds of traffic an offer allows or forbids and a publisher declares (one vocabulary for
offers, affiliates and fraud)."""

from django.db import models


class TrafficType(models.TextChoices):
    SEARCH = "search"
    SOCIAL = "social"
    EMAIL = "email"
    PUSH = "push"
    INCENTIVISED = "incentivised"
    ADULT = "adult"
    BRAND_BIDDING = "brand_bidding", "Brand bidding"
    DISPLAY = "display"
    NATIVE = "native"
    CONTENT = "content", "Content / SEO"
    COUPON = "coupon", "Coupon and cashback"
    POP = "pop", "Pop-under"
    VIDEO = "video"
    SMS = "sms", "SMS"
    CONTEXTUAL = "contextual"
    MOBILE_APP = "mobile_app", "Mobile app"


TRAFFIC_TYPES = frozenset(TrafficType.values)
