"""Thin serializers: shapes and which fields each role may write. Rules live in services.

Advertisers never receive a payout figure: `hidden_by_role` drops those fields from their
shape, and a hidden field sent in a body is refused like any other not-writable one.
"""

from typing import ClassVar

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api_roles import ADVERTISER, MANAGER, RoleFieldsSerializer
from affiliates.models import Publisher
from affiliates.selectors import publishers_visible_to
from core.api_fields import POSITIVE_DECIMAL, CidrField, HttpUrlField, with_request_rule
from core.macros import CLICK_MACROS
from core.money import known_currencies
from core.validation import DEVICES, URL_HOST_CHARS, known_countries
from offers.models import Advertiser, Cap, Goal, Offer, PublisherOverride, Terms
from offers.selectors import advertisers_visible_to, goals_visible_to, offers_visible_to


class RoleShapedSerializer(RoleFieldsSerializer):
    """A RoleFieldsSerializer whose shape also depends on the role: `hidden_by_role` fields are
    neither shown to nor accepted from that role."""

    hidden_by_role: ClassVar[dict[str, frozenset[str]]] = {}

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for name in self.hidden_by_role.get(self._role(), frozenset()):
            fields.pop(name, None)
        return fields


PAYOUT_TERMS_FIELDS = frozenset({"payout_kind", "payout_amount", "payout_percent"})


def host_names(description: str) -> serializers.Field:
    """A JSON list of host names as core.validation.check_hosts takes it (no scheme or path,
    no whitespace), its request schema saying so (`make fuzz`: a list's shape was unsaid)."""
    return with_request_rule(
        serializers.JSONField(required=False),
        {
            "type": "array",
            "items": {"type": "string", "pattern": f"^[{URL_HOST_CHARS}]+$"},
            "description": description,
        },
    )


# Terms' and overrides' figures as offers.validation.check_side takes them (a money column of
# 12.6 digits, a percent column of 3.4): amounts zero or more, percents 0 to 100 (`make fuzz`:
# "-1" and "999" were schema-valid).
FIGURE_RULES = {
    "amount": {"pattern": r"^[0-9]{1,12}(\.[0-9]{0,6})?$"},
    "percent": {"pattern": r"^0*(100(\.0{0,4})?|[0-9]{1,2}(\.[0-9]{0,4})?)$"},
}


def figures_said(fields: dict[str, serializers.Field]) -> dict[str, serializers.Field]:
    """Each writable `*_amount` / `*_percent` of `fields` with its request rule."""
    for name, field in fields.items():
        figure = name.rsplit("_", 1)[-1]
        if figure in FIGURE_RULES and not field.read_only:
            fields[name] = with_request_rule(field, FIGURE_RULES[figure])
    return fields


def code_list(codes: list[str], description: str) -> serializers.Field:
    """A JSON list of codes from `codes` (core.validation.check_countries / check_devices)."""
    return with_request_rule(
        serializers.JSONField(required=False),
        {"type": "array", "items": {"type": "string", "enum": codes}, "description": description},
    )


class AdvertiserSerializer(RoleFieldsSerializer):
    ip_allowlist = serializers.ListField(
        child=CidrField(),
        required=False,
        help_text="Callbacks are accepted only from these networks (empty: from anywhere).",
    )
    writable_by_role = {
        MANAGER: frozenset({"name", "status", "ip_allowlist"}),
        ADVERTISER: frozenset({"name", "ip_allowlist"}),
    }

    class Meta:
        model = Advertiser
        fields = [
            "id",
            "name",
            "status",
            "ip_allowlist",
            "postback_secret_prefix",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["postback_secret_prefix"]
        validators = []


class PostbackSecretSerializer(serializers.Serializer):
    postback_secret = serializers.CharField(help_text="Shown once; store it now.")
    postback_secret_prefix = serializers.CharField()


OFFER_FIELDS = [
    "id",
    "advertiser",
    "name",
    "description",
    "landing_url",
    "preview_url",
    "fallback_url",
    "status",
    "visibility",
    "currency",
    "countries",
    "devices",
    "attribution_window_seconds",
    "min_click_to_conversion_seconds",
    "max_click_to_conversion_seconds",
    "deep_links_allowed",
    "deep_link_allowed_hosts",
    "allow_payout_above_revenue",
    "fallback_clicks_convert",
    "created_at",
    "updated_at",
]
_OFFER_EDITABLE = frozenset(OFFER_FIELDS) - {"id", "created_at", "updated_at"}


class OfferSerializer(RoleShapedSerializer):
    # Whether the network may pay more than it earns is the network's call, not the advertiser's.
    writable_by_role = {
        MANAGER: _OFFER_EDITABLE,
        ADVERTISER: _OFFER_EDITABLE
        - {"advertiser", "allow_payout_above_revenue", "fallback_clicks_convert"},
    }
    create_only = frozenset({"advertiser"})
    scoped_querysets = {"advertiser": advertisers_visible_to}
    hidden_by_role = {ADVERTISER: frozenset({"allow_payout_above_revenue"})}
    # What offers.services.offer_check refuses, stated by the request schema (`make fuzz`).
    landing_url = HttpUrlField(macros=CLICK_MACROS, max_length=2000)
    preview_url = HttpUrlField(
        macros=CLICK_MACROS, max_length=2000, required=False, allow_blank=True
    )
    fallback_url = HttpUrlField(
        macros=CLICK_MACROS, max_length=2000, required=False, allow_blank=True
    )
    currency = with_request_rule(
        serializers.CharField(required=False, max_length=3),
        {"enum": sorted(known_currencies()), "description": "An ISO 4217 code (upper case)."},
    )
    countries = code_list(
        sorted(known_countries()), "ISO 3166 alpha-2 codes (upper case); empty: every country."
    )
    devices = code_list(list(DEVICES), "Empty: every device.")
    deep_link_allowed_hosts = host_names("Host names a deep link may go to (no scheme or path).")

    class Meta:
        model = Offer
        fields = OFFER_FIELDS
        validators = []


class PublisherGoalSerializer(serializers.Serializer):
    """A goal as a publisher sees it: what it earns there, never what the network earns."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    ref = serializers.CharField()
    is_default = serializers.BooleanField()
    kind = serializers.CharField()
    payout_kind = serializers.CharField(allow_null=True)
    payout_amount = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    payout_percent = serializers.DecimalField(max_digits=7, decimal_places=4, allow_null=True)


class PublisherOfferSerializer(serializers.ModelSerializer):
    """An offer as a publisher sees it: no landing/fallback URL (it promotes our tracking link),
    no advertiser, no revenue. `access` is its own standing on the offer; goal payouts include
    its overrides in force now."""

    access = serializers.SerializerMethodField()
    goals = serializers.SerializerMethodField()
    # Often "" (no preview): a string, not a `uri` that "" would break for schema clients.
    preview_url = serializers.CharField(read_only=True)

    class Meta:
        model = Offer
        fields = [
            "id",
            "name",
            "description",
            "preview_url",
            "status",
            "visibility",
            "currency",
            "countries",
            "devices",
            "attribution_window_seconds",
            "deep_links_allowed",
            "deep_link_allowed_hosts",
            "access",
            "goals",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(choices=["runnable", "requested", "rejected", "request"])
    )
    def get_access(self, offer: Offer) -> str:
        mine = getattr(offer, "my_access", None)
        if offer.visibility == Offer.Visibility.PUBLIC or mine == "approved":
            return "runnable"
        return mine or "request"

    @extend_schema_field(PublisherGoalSerializer(many=True))
    def get_goals(self, offer: Offer) -> list[dict]:
        overrides = self.context.get("overrides", {})
        rows = []
        for goal in offer.goals.all():
            terms = getattr(goal, "terms", None)
            if terms is not None and not terms.payout_kind:
                terms = None  # no payout yet: the goal is not runnable without an override
            payout = overrides.get((offer.id, goal.id)) or overrides.get((offer.id, None)) or terms
            rows.append(
                {
                    "id": goal.id,
                    "name": goal.name,
                    "ref": goal.ref,
                    "is_default": goal.is_default,
                    "kind": goal.kind,
                    "payout_kind": payout.payout_kind if payout else None,
                    "payout_amount": payout.payout_amount if payout else None,
                    "payout_percent": payout.payout_percent if payout else None,
                }
            )
        return PublisherGoalSerializer(rows, many=True).data


class GoalSerializer(RoleFieldsSerializer):
    _editable = frozenset(
        {
            "offer",
            "name",
            "ref",
            "is_default",
            "allow_multiple",
            "approval",
            "kind",
            "pixel_enabled",
            "pixel_domains",
        }
    )
    # The sale amount above which a conversion waits for review is the network's limit.
    writable_by_role = {MANAGER: _editable | {"max_sale_amount"}, ADVERTISER: _editable}
    create_only = frozenset({"offer"})
    scoped_querysets = {"offer": offers_visible_to}
    pixel_domains = host_names("Host names the pixel may be fired from (no scheme or path).")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # At least 0 (offers.services), as the request schema says (`make fuzz`).
        limit = fields.get("max_sale_amount")
        if limit is not None and not limit.read_only:
            fields["max_sale_amount"] = with_request_rule(limit, FIGURE_RULES["amount"])
        return fields

    class Meta:
        model = Goal
        fields = [
            "id",
            "offer",
            "name",
            "ref",
            "is_default",
            "allow_multiple",
            "approval",
            "kind",
            "pixel_enabled",
            "pixel_domains",
            "max_sale_amount",
        ]
        validators = []


class TermsSerializer(RoleShapedSerializer):
    """Both sides for managers (and finance, reading); the revenue side only for advertisers.
    A blank `payout_kind` means the network has not set the payout yet."""

    _revenue_side = frozenset({"goal", "revenue_kind", "revenue_amount", "revenue_percent"})
    writable_by_role = {MANAGER: _revenue_side | PAYOUT_TERMS_FIELDS, ADVERTISER: _revenue_side}
    hidden_by_role = {ADVERTISER: PAYOUT_TERMS_FIELDS}
    create_only = frozenset({"goal"})
    scoped_querysets = {"goal": goals_visible_to}

    def get_fields(self) -> dict[str, serializers.Field]:
        return figures_said(super().get_fields())

    class Meta:
        model = Terms
        fields = [
            "id",
            "goal",
            "revenue_kind",
            "revenue_amount",
            "revenue_percent",
            "payout_kind",
            "payout_amount",
            "payout_percent",
            "updated_at",
        ]
        validators = []


class PublisherOverrideSerializer(RoleFieldsSerializer):
    writable_by_role = {
        MANAGER: frozenset(
            {
                "publisher",
                "offer",
                "goal",
                "payout_kind",
                "payout_amount",
                "payout_percent",
                "valid_from",
                "valid_to",
            }
        )
    }
    create_only = frozenset({"publisher", "offer", "goal"})
    scoped_querysets = {
        "publisher": publishers_visible_to,
        "offer": offers_visible_to,
        "goal": goals_visible_to,
    }

    def get_fields(self) -> dict[str, serializers.Field]:
        return figures_said(super().get_fields())

    class Meta:
        model = PublisherOverride
        fields = [
            "id",
            "publisher",
            "offer",
            "goal",
            "payout_kind",
            "payout_amount",
            "payout_percent",
            "valid_from",
            "valid_to",
            "created_at",
        ]
        validators = []


class CapSerializer(RoleFieldsSerializer):
    _editable = frozenset(
        {"offer", "publisher", "goal", "counts", "period", "metric", "limit", "action"}
    )
    writable_by_role = {MANAGER: _editable, ADVERTISER: _editable}
    create_only = frozenset({"offer"})
    scoped_querysets = {"offer": offers_visible_to}
    # An advertiser may cap one publisher on its offer by id without seeing publisher rows.
    publisher = serializers.PrimaryKeyRelatedField(
        queryset=Publisher.objects.all(), required=False, allow_null=True
    )
    # More than zero (offers.services.cap_check), as the request schema says (`make fuzz`).
    limit = with_request_rule(
        serializers.DecimalField(max_digits=18, decimal_places=6, min_value=None),
        {"pattern": POSITIVE_DECIMAL},
    )

    class Meta:
        model = Cap
        fields = [
            "id",
            "offer",
            "publisher",
            "goal",
            "counts",
            "period",
            "metric",
            "limit",
            "action",
        ]
        validators = []
