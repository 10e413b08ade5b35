from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import views
from accounts.api.personal_data import PersonalDataExportView, PersonalDataRequestViewSet

router = SimpleRouter()
router.register("staff-changes", views.StaffChangeViewSet, basename="staff-change")
router.register(
    "personal-data/requests", PersonalDataRequestViewSet, basename="personal-data-request"
)

urlpatterns = [
    path("personal-data/export/", PersonalDataExportView.as_view(), name="personal-data-export"),
    *router.urls,
]
