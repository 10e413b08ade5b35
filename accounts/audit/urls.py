from django.urls import path

from accounts.audit.api import AuditLogView

urlpatterns = [path("audit/", AuditLogView.as_view(), name="audit-log")]
