"""Forms of the pages. They check the shape of the input; the services check the rules, and
their DomainError lands beside the field it names (portal/form_errors.py)."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from affiliates.models import PostbackTemplate, Publisher
from offers.models import Goal, Offer
from payouts.exports import ExportFormat

SUB_FIELDS = ("sub1", "sub2", "sub3", "sub4", "sub5", "source")
MAX_SUB = 255


def _no_control_characters(value: str) -> None:
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise forms.ValidationError("Control characters are not allowed.")


class LinkBuilderForm(forms.Form):
    """Sub ids and source appended to the offer's tracking link."""

    sub1 = forms.CharField(required=False, max_length=MAX_SUB, validators=[_no_control_characters])
    sub2 = forms.CharField(required=False, max_length=MAX_SUB, validators=[_no_control_characters])
    sub3 = forms.CharField(required=False, max_length=MAX_SUB, validators=[_no_control_characters])
    sub4 = forms.CharField(required=False, max_length=MAX_SUB, validators=[_no_control_characters])
    sub5 = forms.CharField(required=False, max_length=MAX_SUB, validators=[_no_control_characters])
    source = forms.CharField(
        required=False, max_length=MAX_SUB, validators=[_no_control_characters]
    )
    # The tracking domains the publisher may use (the view fills the choices); blank: the
    # link's current domain, or the network's default.
    domain = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Tracking domain"
    )

    def __init__(self, *args, domains=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = [("", "Default"), *((d.id, d.host) for d in domains)]
        if not domains:
            del self.fields["domain"]


class AccessRequestForm(forms.Form):
    message = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class PostbackTemplateForm(forms.Form):
    scope = forms.ChoiceField(choices=PostbackTemplate.Scope.choices)
    offer = forms.ModelChoiceField(queryset=Offer.objects.none(), required=False)
    goal = forms.ModelChoiceField(queryset=Goal.objects.none(), required=False)
    url = forms.CharField(
        max_length=2000,
        help_text="http(s) URL; macros such as {click_id}, {payout}, {currency}, {sub1}.",
        widget=forms.TextInput(attrs={"size": 80}),
    )
    method = forms.ChoiceField(choices=PostbackTemplate.Method.choices)
    events = forms.MultipleChoiceField(
        choices=PostbackTemplate.Event.choices, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, offers, goals, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only what the publisher may see: a foreign id is "not one of the choices".
        self.fields["offer"].queryset = offers
        self.fields["goal"].queryset = goals

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "scope": data["scope"],
            "offer": data.get("offer"),
            "goal": data.get("goal"),
            "url": data["url"].strip(),
            "method": data["method"],
            "events": list(data["events"]),
            "is_active": data["is_active"],
        }


class ConversionActionForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(required=False, max_length=500)


class BatchBuildForm(forms.Form):
    currency = forms.CharField(max_length=3, min_length=3, initial="USD")
    cut_off = forms.DateTimeField(
        required=False,
        help_text="UTC; empty means now. Earnings still in their hold period stay out.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()

    def clean_cut_off(self):
        cut_off = self.cleaned_data.get("cut_off")
        if cut_off is not None and cut_off > timezone.now() + timedelta(seconds=1):
            raise forms.ValidationError("The cut-off cannot be in the future.")
        return cut_off


class BatchApproveForm(forms.Form):
    # The digest of the lines the approver looked at (and their total): approving a draft whose
    # lines changed since is refused.
    digest = forms.CharField(max_length=64, widget=forms.HiddenInput)
    expected_total = forms.DecimalField(
        max_digits=20, decimal_places=6, widget=forms.HiddenInput, required=False
    )


class LineFailForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500)


class PayoutDetailsForm(forms.Form):
    """Where the publisher asks to be paid. It takes effect once finance confirms it."""

    payout_method = forms.ChoiceField(choices=Publisher.PayoutMethod.choices)
    email = forms.EmailField(required=False, help_text="PayPal or Wise account email.")
    name = forms.CharField(required=False, max_length=200, help_text="Account holder's name.")
    iban = forms.CharField(required=False, max_length=34, help_text="For bank wires.")

    def details(self) -> dict[str, str]:
        return {
            key: self.cleaned_data[key]
            for key in ("email", "name", "iban")
            if self.cleaned_data.get(key)
        }


class BatchExportForm(forms.Form):
    export_format = forms.ChoiceField(
        choices=[(value, value) for value in ExportFormat], initial="standard"
    )
