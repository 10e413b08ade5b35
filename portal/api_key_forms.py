"""The API key page's form: a name to tell keys apart (the key itself is drawn by the service)."""

from django import forms


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100, required=False, help_text="e.g. the server or script that will use it."
    )
