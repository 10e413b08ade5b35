"""The publisher's tax form pages (portal/views/publisher_tax_forms.py), under its payouts,
spliced into portal/urls.py (namespace `portal`). Finance reviews them at /finance/tax-forms/."""

from django.urls import path

from portal.views import publisher_tax_forms

urlpatterns = [
    path("publisher/payouts/tax-forms/", publisher_tax_forms.tax_forms, name="publisher-tax-forms"),
    path(
        "publisher/payouts/tax-forms/<int:form_id>/document/",
        publisher_tax_forms.tax_form_document,
        name="publisher-tax-form-document",
    ),
]
