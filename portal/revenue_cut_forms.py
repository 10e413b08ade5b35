"""The manager's forms on /network/revenue-cuts/ (portal/views/manager_revenue_cuts.py): approving
a revenue cut is confirmed first (it changes what the advertiser pays on every new conversion);
rejecting needs a reason, which the advertiser is told."""

from django import forms


class RevenueCutApproveForm(forms.Form):
    confirm = forms.BooleanField(
        required=False,
        label="I confirm: new conversions earn the proposed revenue",
    )

    def clean(self):
        data = super().clean()
        if not data.get("confirm"):
            self.add_error("confirm", "Tick to confirm the new revenue before approving.")
        return data


class RevenueCutRejectForm(forms.Form):
    rejection_reason = forms.CharField(
        label="Reason",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The advertiser is told.",
        error_messages={"required": "Give a reason: the advertiser is told why."},
    )
