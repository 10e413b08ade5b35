from django.urls import path

from reports.api.quality import QualityReportView
from reports.api.views import ReportView

urlpatterns = [
    path("reports/", ReportView.as_view(), name="reports"),
    path("reports/quality/", QualityReportView.as_view(), name="reports-quality"),
]
