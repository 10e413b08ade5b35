"""The reports page's choices: up to three dimensions, filters, a date range or preset, and the
metric to chart. reports.query then checks them as the API does (a refusal sits beside the
field it names); sub ids and the source are never an advertiser's choice, nor the publisher
dimension a publisher's (reports.query.HIDDEN_DIMENSIONS, the same rule)."""

from django import forms

from accounts.models import User
from affiliates.models import Publisher
from offers.models import Offer
from offers.selectors import offers_visible_to
from portal.manager_forms import PRESETS
from reports.query import HIDDEN_DIMENSIONS

DIMENSION_LABELS = {
    "day": "Day",
    "hour": "Hour",
    "offer": "Offer",
    "publisher": "Publisher",
    "advertiser": "Advertiser",
    "goal": "Goal",
    "country": "Country",
    "device": "Device",
    "sub1": "Sub 1",
    "sub2": "Sub 2",
    "sub3": "Sub 3",
    "sub4": "Sub 4",
    "sub5": "Sub 5",
    "source": "Source",
    "creative": "Creative",
    "landing_variant": "Landing page",
}
# (label, unit): the unit is shown in the header, money is per currency (its own column).
METRIC_LABELS = {
    "impressions": ("Impressions", ""),
    "clicks": ("Clicks", ""),
    "unique_clicks": ("Unique clicks", ""),
    "bot_clicks": ("Bot clicks", ""),
    "conversions": ("Conversions", ""),
    "approved": ("Approved", ""),
    "pending": ("Pending", ""),
    "rejected": ("Rejected", ""),
    "reversed": ("Reversed", ""),
    "cr": ("Conversion rate", "%"),
    "epc": ("Earnings per click", "money"),
    "revenue": ("Revenue", "money"),
    "payout": ("Payout", "money"),
    "profit": ("Profit", "money"),
    "margin": ("Margin", "%"),
    "avg_sale": ("Average sale", "money"),
    "sale_amount": ("Sales", "money"),
    "roas": ("Return on ad spend", "x"),
}
MAX_DIMENSIONS = 3
# The page's own choice of dimensions (hour is the API's: a page of hours is unreadable).
PAGE_DIMENSIONS = (
    "day",
    "offer",
    "publisher",
    "advertiser",
    "goal",
    "country",
    "device",
    "sub1",
    "sub2",
    "sub3",
    "source",
    "creative",
    "landing_variant",
)


def metric_header(name: str) -> str:
    label, unit = METRIC_LABELS.get(name, (name, ""))
    return f"{label} ({unit})" if unit in ("%", "x") else label


class MultiReportForm(forms.Form):
    preset = forms.ChoiceField(choices=PRESETS, required=False, label="When")
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    group_by = forms.ChoiceField(choices=(), initial="day", required=False, label="Group by")
    then_by = forms.ChoiceField(choices=(), required=False, label="Then by")
    and_by = forms.ChoiceField(choices=(), required=False, label="And by")
    offer = forms.ModelChoiceField(
        queryset=Offer.objects.none(), required=False, empty_label="Every offer"
    )
    publisher = forms.ModelChoiceField(
        queryset=Publisher.objects.none(), required=False, empty_label="Every publisher"
    )
    country = forms.CharField(
        required=False, max_length=2, min_length=2, help_text="Two letters, e.g. US."
    )
    basis = forms.ChoiceField(
        choices=[("conversion", "Conversion time"), ("click", "Click time")], required=False
    )
    chart = forms.ChoiceField(choices=(), required=False, label="Chart by day")

    def __init__(self, *args, user: User, role: str, metrics: tuple[str, ...], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        hidden = HIDDEN_DIMENSIONS.get(role, frozenset())
        dims = [(d, DIMENSION_LABELS[d]) for d in PAGE_DIMENSIONS if d not in hidden]
        if role in ("publisher", "advertiser"):
            # Its own organisation: a dimension of one row.
            dims = [(d, label) for d, label in dims if d != role]
        self.fields["group_by"].choices = dims
        self.fields["then_by"].choices = [("", "—"), *dims]
        self.fields["and_by"].choices = [("", "—"), *dims]
        self.fields["offer"].queryset = offers_visible_to(user=user).order_by("name")
        self.fields["chart"].choices = [(m, metric_header(m)) for m in metrics]
        if role in ("publisher", "advertiser"):
            del self.fields["publisher"]  # never a list of the network's publishers
        else:
            self.fields["publisher"].queryset = Publisher.objects.order_by("name")

    def clean_country(self) -> str:
        return (self.cleaned_data.get("country") or "").strip().upper()

    def dimensions(self) -> tuple[str, ...]:
        data = self.cleaned_data
        chosen = [data.get("group_by") or "day", data.get("then_by"), data.get("and_by")]
        return tuple(dict.fromkeys(d for d in chosen if d))[:MAX_DIMENSIONS]
