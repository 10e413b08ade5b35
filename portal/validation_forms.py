"""The monthly validation's two forms: the upload, and the apply that carries the previewed
file back (its rows are parsed and checked again on apply, never trusted from the preview)."""

from django import forms


class ValidationUploadForm(forms.Form):
    file = forms.FileField(
        label="Validation CSV",
        help_text="Columns: txn_id (or click_id), decision (approve, reject or reverse), reason, "
        "and optionally sale_amount, a corrected sale amount that can only lower it.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class ValidationApplyForm(forms.Form):
    csv = forms.CharField(widget=forms.HiddenInput, strip=False)
    filename = forms.CharField(widget=forms.HiddenInput, required=False, max_length=255)
