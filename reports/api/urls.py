from django.urls import path

from reports.api.views import ReportView

urlpatterns = [path("reports/", ReportView.as_view(), name="reports")]
