"""Personal data: the export, the request for deletion, and its carrying out."""

from django.urls import path

from portal.views import personal_data

urlpatterns = [
    path("personal-data/", personal_data.personal_data, name="personal-data"),
    path(
        "personal-data/export/",
        personal_data.personal_data_download,
        name="personal-data-export",
    ),
    path(
        "personal-data/request/",
        personal_data.personal_data_request,
        name="personal-data-request",
    ),
    path(
        "personal-data/<int:request_id>/erase/",
        personal_data.personal_data_erase_page,
        name="personal-data-erase",
    ),
]
