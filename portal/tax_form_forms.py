"""The publisher's tax form upload. The form only shapes the input; every rule (the kind, a date
not in the future, the file's real type and size) is payouts.services.payees.tax_form_upload's,
whose refusals are put beside their fields (portal.form_errors)."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from payouts.models import TaxForm


class TaxFormUploadForm(forms.Form):
    kind = forms.ChoiceField(label="Form", choices=TaxForm.Kind.choices)
    signed_on = forms.DateField(
        label="Dated",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The date on the form (when you signed it).",
    )
    document = forms.FileField(
        label="Document",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "document"
        ].help_text = (
            f"A PDF, PNG or JPEG scan, at most {filesizeformat(settings.TAX_FORM_MAX_BYTES)}."
        )
