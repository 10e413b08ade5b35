"""Forms of the manager desk: human inputs (country and device pickers, windows in days and
hours, names instead of ids) turned into the fields the offers services take.

The forms check shape only; offers/services.py checks the rules (and asks the money policy), and
its DomainError lands beside the field it names (portal/form_errors.py). Field names are the
services' own, so that mapping needs no table.
"""

from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from babel import Locale
from django import forms
from django.utils import timezone

from affiliates.models import OfferAccess, Publisher
from core.validation import DEVICES, known_countries
from offers.models import Advertiser, Cap, Goal, Offer, TermsKind
from tracking.models import Conversion

UNITS = (("days", "days"), ("hours", "hours"), ("minutes", "minutes"), ("seconds", "seconds"))
UNIT_SECONDS = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}


@cache
def country_choices() -> list[tuple[str, str]]:
    names = Locale("en").territories
    return sorted(
        ((code, f"{names.get(code, code)} ({code})") for code in known_countries()),
        key=lambda choice: choice[1],
    )


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").replace(",", "\n").splitlines() if line.strip()]


def figure_plain(value: Decimal | None, *, places: int = 2) -> str | None:
    """A stored figure as a person types it: 10.000000 -> "10.00", 12.5000 (percent) -> "12.5"."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(places, '0')}" if places else text


def duration_split(seconds: int | None) -> list[Any]:
    """[number, unit] in the largest unit that holds `seconds` whole (30 days, not 2592000 s)."""
    if seconds is None:
        return [None, "days"]
    for unit, size in UNIT_SECONDS.items():
        if seconds % size == 0:
            return [seconds // size, unit]
    return [seconds, "seconds"]


class DurationWidget(forms.MultiWidget):
    def __init__(self, attrs=None) -> None:
        super().__init__(
            [
                forms.NumberInput(attrs={"min": 0, "step": 1, "class": "num"}),
                forms.Select(choices=UNITS),
            ],
            attrs,
        )

    def decompress(self, value):
        return duration_split(value)


class DurationField(forms.MultiValueField):
    """A window typed as a number and a unit; cleaned to whole seconds (the model's unit)."""

    widget = DurationWidget

    def __init__(self, **kwargs) -> None:
        fields = (
            forms.IntegerField(min_value=0, max_value=10 * 365 * 86400, required=False),
            forms.ChoiceField(choices=UNITS, required=False),
        )
        super().__init__(fields=fields, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list or data_list[0] in (None, ""):
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return None
        return int(data_list[0]) * UNIT_SECONDS[data_list[1] or "days"]


class OfferForm(forms.Form):
    advertiser = forms.ModelChoiceField(queryset=Advertiser.objects.order_by("name"))
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    landing_url = forms.CharField(
        max_length=2000,
        help_text="http(s) URL; macros such as {click_id}, {sub1}, {source}.",
        widget=forms.TextInput(attrs={"class": "wide"}),
    )
    preview_url = forms.CharField(max_length=2000, required=False)
    fallback_url = forms.CharField(
        max_length=2000, required=False, help_text="Where refused clicks go (country, cap...)."
    )
    status = forms.ChoiceField(choices=Offer.Status.choices)
    visibility = forms.ChoiceField(choices=Offer.Visibility.choices)
    currency = forms.CharField(max_length=3, min_length=3, initial="USD")
    countries = forms.MultipleChoiceField(
        choices=country_choices,
        required=False,
        help_text="None chosen: every country. Ctrl/Cmd-click to choose several.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    devices = forms.MultipleChoiceField(
        choices=[(device, device.capitalize()) for device in DEVICES],
        required=False,
        help_text="None ticked: every device.",
        widget=forms.CheckboxSelectMultiple,
    )
    attribution_window_seconds = DurationField(
        label="Attribution window", help_text="How long after the click a conversion counts."
    )
    min_click_to_conversion_seconds = DurationField(
        label="Fastest click to conversion",
        required=False,
        help_text="Faster conversions are rejected as too fast; empty: no minimum.",
    )
    max_click_to_conversion_seconds = DurationField(
        label="Slowest click to conversion", required=False, help_text="Empty: no maximum."
    )
    deep_links_allowed = forms.BooleanField(required=False)
    deep_link_allowed_hosts = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One host name per line (no scheme or path).",
    )
    allow_payout_above_revenue = forms.BooleanField(required=False)
    fallback_clicks_convert = forms.BooleanField(
        required=False, label="Clicks sent to the fallback may convert"
    )

    @classmethod
    def initial_of(cls, offer: Offer) -> dict[str, Any]:
        initial = {name: getattr(offer, name) for name in cls.base_fields if name != "advertiser"}
        initial["advertiser"] = offer.advertiser_id
        initial["deep_link_allowed_hosts"] = "\n".join(offer.deep_link_allowed_hosts or [])
        return initial

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()

    def clean_deep_link_allowed_hosts(self) -> list[str]:
        return _lines(self.cleaned_data["deep_link_allowed_hosts"])

    def service_fields(self) -> dict[str, Any]:
        fields = dict(self.cleaned_data)
        fields.pop("advertiser")
        fields["min_click_to_conversion_seconds"] = fields["min_click_to_conversion_seconds"] or 0
        fields["countries"] = list(fields["countries"])
        fields["devices"] = list(fields["devices"])
        return fields


KIND_CHOICES = TermsKind.choices
PAYOUT_KIND_CHOICES = [("", "No payout yet"), *TermsKind.choices]
TERMS_FIELDS = (
    "revenue_kind",
    "revenue_amount",
    "revenue_percent",
    "payout_kind",
    "payout_amount",
    "payout_percent",
)


def _money(label: str, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=6,
        widget=forms.NumberInput(attrs={"step": "any", "class": "num"}),
        **kwargs,
    )


class GoalTermsForm(forms.Form):
    """A goal and its terms (both sides) in one form: what a manager edits together."""

    name = forms.CharField(max_length=200)
    ref = forms.SlugField(max_length=64, help_text="What the advertiser sends as `goal`.")
    approval = forms.ChoiceField(choices=Goal.Approval.choices)
    kind = forms.ChoiceField(
        choices=Goal.Kind.choices,
        required=False,
        initial=Goal.Kind.OTHER,
        label="Measures",
        help_text="Lead: a flat amount is CPL. Sale: a share is CPS.",
    )
    is_default = forms.BooleanField(required=False, label="Default goal")
    allow_multiple = forms.BooleanField(required=False, label="May convert more than once")
    max_sale_amount = _money("Largest sale amount", help_text="Above it: held. Empty: network's.")
    revenue_kind = forms.ChoiceField(choices=KIND_CHOICES, label="Revenue (advertiser pays)")
    revenue_amount = _money("Revenue amount")
    revenue_percent = _money("Revenue %")
    payout_kind = forms.ChoiceField(
        choices=PAYOUT_KIND_CHOICES, required=False, label="Payout (publisher earns)"
    )
    payout_amount = _money("Payout amount")
    payout_percent = _money("Payout %")

    @classmethod
    def initial_of(cls, goal: Goal) -> dict[str, Any]:
        initial = {
            name: getattr(goal, name)
            for name in ("name", "ref", "approval", "kind", "is_default", "allow_multiple")
        }
        initial["max_sale_amount"] = figure_plain(goal.max_sale_amount)
        terms = getattr(goal, "terms", None)
        if terms is not None:
            initial.update({name: getattr(terms, name) for name in TERMS_FIELDS})
            for side in ("revenue", "payout"):
                initial[f"{side}_amount"] = figure_plain(getattr(terms, f"{side}_amount"))
                initial[f"{side}_percent"] = figure_plain(
                    getattr(terms, f"{side}_percent"), places=0
                )
        return initial

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or Goal.Kind.OTHER

    def goal_fields(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in ("name", "ref", "approval", "kind", "is_default", "allow_multiple")
        } | {"max_sale_amount": self.cleaned_data["max_sale_amount"]}

    def terms_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in TERMS_FIELDS}


class CapForm(forms.Form):
    publisher = forms.ModelChoiceField(
        queryset=Publisher.objects.order_by("name"),
        required=False,
        empty_label="Every publisher together",
    )
    goal = forms.ModelChoiceField(
        queryset=Goal.objects.none(), required=False, empty_label="Every goal of the offer"
    )
    counts = forms.ChoiceField(
        choices=Cap.Counts.choices,
        required=False,
        initial=Cap.Counts.CONVERSIONS,
        label="Counts",
        help_text="Clicks: the redirect turns visitors away when full. Clicks and impressions:"
        " none past a daily cap is paid.",
    )
    period = forms.ChoiceField(choices=Cap.Period.choices)
    metric = forms.ChoiceField(choices=Cap.Metric.choices, label="Conversions by")
    limit = _money("Limit")
    action = forms.ChoiceField(choices=Cap.Action.choices, label="When full")

    def __init__(self, *args: Any, offer: Offer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if offer is not None:
            self.fields["goal"].queryset = offer.goals.order_by("id")  # type: ignore[attr-defined]

    def clean_counts(self) -> str:
        return self.cleaned_data.get("counts") or Cap.Counts.CONVERSIONS

    def clean_limit(self):
        if self.cleaned_data.get("limit") is None:
            raise forms.ValidationError("This field is required.")
        return self.cleaned_data["limit"]


class OverrideForm(forms.Form):
    publisher = forms.ModelChoiceField(queryset=Publisher.objects.order_by("name"))
    goal = forms.ModelChoiceField(
        queryset=Goal.objects.none(), required=False, empty_label="Every goal of the offer"
    )
    payout_kind = forms.ChoiceField(choices=KIND_CHOICES)
    payout_amount = _money("Payout amount")
    payout_percent = _money("Payout %")
    valid_from = forms.DateTimeField(
        required=False,
        help_text="UTC; empty: from now on.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    valid_to = forms.DateTimeField(
        required=False,
        help_text="UTC; empty: open-ended.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args, offer: Offer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["goal"].queryset = offer.goals.order_by("id")


# Lists --------------------------------------------------------------------------------------

PRESETS = (
    ("", "Any time"),
    ("today", "Today"),
    ("yesterday", "Yesterday"),
    ("last_7_days", "Last 7 days"),
    ("month_to_date", "Month to date"),
    ("custom", "From/to below"),
)


def preset_range(preset: str, today: date | None = None) -> tuple[date | None, date | None]:
    """The inclusive UTC date range a preset names (None, None: any time)."""
    today = today or timezone.now().date()
    return {
        "today": (today, today),
        "yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "last_7_days": (today - timedelta(days=6), today),
        "month_to_date": (today.replace(day=1), today),
    }.get(preset, (None, None))


class ConversionFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=128,
        label="Search",
        help_text="Transaction id, click id or sub id (exact).",
    )
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Conversion.Status.choices], required=False
    )
    offer = forms.ModelChoiceField(
        queryset=Offer.objects.order_by("name"), required=False, empty_label="Any offer"
    )
    publisher = forms.ModelChoiceField(
        queryset=Publisher.objects.order_by("name"), required=False, empty_label="Any publisher"
    )
    period = forms.ChoiceField(choices=PRESETS, required=False, label="When")
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        period = data.get("period")
        if period and period != "custom":
            data["date_from"], data["date_to"] = preset_range(period)
        first, last = data.get("date_from"), data.get("date_to")
        if first and last and last < first:
            self.add_error("date_to", "Must not be before the start date.")
        return data


BULK_ACTIONS = (("approve", "Approve"), ("reject", "Reject"), ("reverse", "Reverse"))
IRREVERSIBLE = frozenset({"reject", "reverse"})


class ConversionBulkForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), label="Conversions")
    action = forms.ChoiceField(choices=BULK_ACTIONS)
    reason = forms.CharField(required=False, max_length=500)
    confirm = forms.BooleanField(
        required=False, label="I understand rejecting or reversing cannot be undone"
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, ids: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(pk, pk) for pk in ids]

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action in IRREVERSIBLE and not data.get("confirm"):
            self.add_error("confirm", "Tick to confirm: this cannot be undone.")
        if action in IRREVERSIBLE and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why (the publisher and the audit see it).")
        return data


ACTIONS = (*BULK_ACTIONS, ("adjust", "Adjust payout/revenue"))


class ConversionDecideForm(forms.Form):
    action = forms.ChoiceField(choices=ACTIONS)
    reason = forms.CharField(required=False, max_length=500)
    payout = _money("New payout", help_text="Adjust only.")
    revenue = _money("New revenue", help_text="Adjust only.")
    override_caps = forms.BooleanField(
        required=False, label="Approve past a full cap (recorded in its history)"
    )
    confirm = forms.BooleanField(
        required=False, label="I understand rejecting or reversing cannot be undone"
    )

    def clean(self):
        data = super().clean()
        if data.get("action") in IRREVERSIBLE and not data.get("confirm"):
            self.add_error("confirm", "Tick to confirm: this cannot be undone.")
        return data


class AccessFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Any status"), *OfferAccess.Status.choices], required=False
    )
    offer = forms.ModelChoiceField(
        queryset=Offer.objects.order_by("name"), required=False, empty_label="Any offer"
    )
    publisher = forms.ModelChoiceField(
        queryset=Publisher.objects.order_by("name"), required=False, empty_label="Any publisher"
    )


class AccessBulkForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), label="Requests")
    decision = forms.ChoiceField(
        choices=[(OfferAccess.Status.APPROVED, "Approve"), (OfferAccess.Status.REJECTED, "Reject")]
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, ids: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(pk, pk) for pk in ids]


class ReviewFilterForm(forms.Form):
    """The review queue narrowed to one offer or publisher (as the API's ?offer=&publisher=)."""

    offer = forms.ModelChoiceField(
        queryset=Offer.objects.order_by("name"), required=False, empty_label="Any offer"
    )
    publisher = forms.ModelChoiceField(
        queryset=Publisher.objects.order_by("name"), required=False, empty_label="Any publisher"
    )


class ReviewDecideForm(forms.Form):
    """Approve or reject ticked held conversions with one reason (tracking.review.review_decide,
    as POST /api/v1/review-queue/decide/). Rejecting cannot be undone: it needs a confirmation."""

    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), label="Conversions")
    decision = forms.ChoiceField(choices=(("approve", "Approve"), ("reject", "Reject")))
    reason = forms.CharField(max_length=2000, help_text="The publisher and the audit see it.")
    confirm = forms.BooleanField(required=False, label="I understand rejecting cannot be undone")
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, ids: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(pk, pk) for pk in ids]

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not data.get("confirm"):
            self.add_error("confirm", "Tick to confirm: rejecting cannot be undone.")
        return data
