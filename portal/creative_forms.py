"""The forms of the creative and smart link pages (portal/views/creative_pages.py).

Choices come from the API's selectors (offers a publisher may run, an advertiser's own
offers); the services (offers/creative_services.py, tracking/smart_links.py) check everything
again, and their refusals are shown beside the field they name (portal/form_errors.py)."""

from django import forms

from accounts.models import User
from offers.creatives import Creative
from offers.models import Offer
from offers.selectors import offers_runnable_by, offers_visible_to
from tracking.models import SmartLink


class SmartLinkForm(forms.Form):
    name = forms.CharField(max_length=100)
    rule = forms.ChoiceField(
        choices=SmartLink.Rule.choices,
        initial=SmartLink.Rule.EPC,
        help_text="epc: most visitors to the offer with the best recent EPC, some explore; "
        "weighted: by the weights, sticky per visitor.",
    )
    offers = forms.ModelMultipleChoiceField(
        queryset=Offer.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Offers you may run, of one currency; each with weight 1.",
    )
    fallback_url = forms.URLField(
        max_length=2000,
        required=False,
        assume_scheme="https",
        help_text="Where a visitor no offer admits goes.",
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offers"].queryset = offers_runnable_by(publisher=user.publisher).order_by(
            "name"
        )


class CreativeForm(forms.Form):
    offer = forms.ModelChoiceField(queryset=Offer.objects.none(), empty_label=None)
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=Creative.Kind.choices)
    text = forms.CharField(max_length=500, required=False, help_text="A text link's text.")
    html = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="An HTML snippet; {tracking_link} stands for the publisher's link. Cleaned "
        "of scripts and styles when saved.",
    )
    image_url = forms.URLField(
        max_length=2000,
        required=False,
        assume_scheme="https",
        help_text="A banner's image, or upload a file below.",
    )
    image = forms.FileField(required=False, help_text="A banner's PNG, JPEG, GIF or WebP.")

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = offers_visible_to(user=user).order_by("name")


class BannerImageForm(forms.Form):
    image = forms.FileField(help_text="PNG, JPEG, GIF or WebP.")
