"""Monthly validation's pages (advertisers and managers), under /validation/."""

from django.urls import path

from portal.views import validation

urlpatterns = [
    path("validation/", validation.upload, name="validation"),
    path("validation/apply/", validation.apply, name="validation-apply"),
    path("validation/<int:upload_id>/", validation.result, name="validation-result"),
    path(
        "validation/<int:upload_id>/result.csv",
        validation.result_csv,
        name="validation-result-csv",
    ),
]
