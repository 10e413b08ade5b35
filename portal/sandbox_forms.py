"""The sandbox page's forms: mint a test link, send a test conversion for a test click.

The choices come from the same selectors as the API (offers a publisher may run, for a
manager any offer and publisher); the services check everything again, and their refusals are
shown beside the field they name (portal/form_errors.py)."""

from django import forms

from accounts.models import Role, User
from accounts.selectors import user_role
from affiliates.models import Publisher
from offers.models import Offer
from offers.selectors import offers_runnable_by
from tracking.sandbox.services import SEND_DIALECTS

DIALECT_LABELS = {
    "s2s": "Server to server (/postback)",
    "tune": "TUNE (/aff_lsr)",
    "everflow": "Everflow",
    "pixel": "Image pixel on the thank-you page",
}


class SandboxLinkForm(forms.Form):
    offer = forms.ModelChoiceField(queryset=Offer.objects.none(), empty_label=None)
    publisher = forms.ModelChoiceField(
        queryset=Publisher.objects.none(),
        required=False,
        help_text="Managers mint a test link for a publisher.",
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if user_role(user) == Role.PUBLISHER and user.publisher is not None:
            self.fields["offer"].queryset = offers_runnable_by(publisher=user.publisher).order_by(
                "name"
            )
            del self.fields["publisher"]
        else:
            self.fields["offer"].queryset = Offer.objects.order_by("name")
            self.fields["publisher"].queryset = Publisher.objects.order_by("name")
            self.fields["publisher"].required = True


class SandboxSendForm(forms.Form):
    dialect = forms.ChoiceField(
        choices=[(name, DIALECT_LABELS[name]) for name in SEND_DIALECTS],
        initial="s2s",
        label="Sent as",
    )
    goal = forms.CharField(
        max_length=255, required=False, help_text="The goal's ref; empty: the default goal."
    )
    amount = forms.DecimalField(
        max_digits=18, decimal_places=6, min_value=0, required=False, label="Sale amount"
    )
    txn_id = forms.CharField(max_length=128, required=False, label="Transaction id")
    status = forms.ChoiceField(
        choices=[
            ("", "as the goal decides"),
            ("approved", "approved"),
            ("pending", "pending"),
            ("rejected", "rejected"),
        ],
        required=False,
        help_text="What the advertiser says (not for the pixel, which says nothing).",
    )
