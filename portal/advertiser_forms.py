"""Forms of the advertiser's offer page: the fields an advertiser controls, and no others.

No payout, override, currency or network switch is a field here (they are the network's: the
advertiser never sees them); offers/services.py and the money policy refuse them anyway. Field
names are the services' own, so their DomainError lands beside the field it names.
"""

from typing import Any

from django import forms

from core.validation import DEVICES
from offers.models import Cap, Goal, Offer, TermsKind
from portal.manager_forms import CapForm, _money, country_choices, figure_plain

REVENUE_FIELDS = ("revenue_kind", "revenue_amount", "revenue_percent")
GOAL_FIELDS = ("name", "ref", "approval", "kind", "allow_multiple")


class AdvertiserOfferForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    landing_url = forms.CharField(
        max_length=2000,
        help_text="http(s) URL; macros such as {click_id}, {sub1}, {source}.",
        widget=forms.TextInput(attrs={"class": "wide"}),
    )
    preview_url = forms.CharField(
        max_length=2000, required=False, help_text="A page publishers may look at (no tracking)."
    )
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

    @classmethod
    def initial_of(cls, offer: Offer) -> dict[str, Any]:
        return {name: getattr(offer, name) for name in cls.base_fields}

    def service_fields(self) -> dict[str, Any]:
        fields = dict(self.cleaned_data)
        fields["countries"] = list(fields["countries"])
        fields["devices"] = list(fields["devices"])
        return fields


class AdvertiserGoalForm(forms.Form):
    """A goal and what the advertiser pays for it (the revenue side of its terms)."""

    name = forms.CharField(max_length=200)
    ref = forms.SlugField(max_length=64, help_text="What you send as `goal` in the postback.")
    approval = forms.ChoiceField(
        choices=Goal.Approval.choices,
        help_text="Manual: its conversions wait for your approval.",
    )
    kind = forms.ChoiceField(choices=Goal.Kind.choices, initial=Goal.Kind.OTHER, label="Measures")
    allow_multiple = forms.BooleanField(required=False, label="May convert more than once")
    revenue_kind = forms.ChoiceField(choices=TermsKind.choices, label="You pay")
    revenue_amount = _money("Amount")
    revenue_percent = _money("% of the sale")

    @classmethod
    def initial_of(cls, goal: Goal) -> dict[str, Any]:
        initial = {name: getattr(goal, name) for name in GOAL_FIELDS}
        terms = getattr(goal, "terms", None)
        if terms is not None:
            initial["revenue_kind"] = terms.revenue_kind
            initial["revenue_amount"] = figure_plain(terms.revenue_amount)
            initial["revenue_percent"] = figure_plain(terms.revenue_percent, places=0)
        return initial

    def goal_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in GOAL_FIELDS}

    def terms_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in REVENUE_FIELDS}


class AdvertiserCapForm(CapForm):
    """A cap on the advertiser's own offer: on every publisher together, counting conversions
    (a cap on payout would tell it what publishers earn)."""

    def __init__(self, *args: Any, offer: Offer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, offer=offer, **kwargs)
        del self.fields["publisher"]
        self.fields["metric"].choices = [(Cap.Metric.CONVERSIONS, "Number of conversions")]


class AskNetworkForm(forms.Form):
    """The revenue an advertiser asks a manager to set (a cut on a live offer)."""

    revenue_kind = forms.ChoiceField(choices=TermsKind.choices, widget=forms.HiddenInput)
    revenue_amount = _money("Amount")
    revenue_percent = _money("% of the sale")
    reason = forms.CharField(
        label="Why (the manager reads it)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("revenue_amount", "revenue_percent"):
            self.fields[name].widget = forms.HiddenInput()
