"""The sandbox's pages (portal/views/sandbox.py)."""

from django.urls import path

from portal.views import sandbox

urlpatterns = [
    path("sandbox/", sandbox.links, name="sandbox"),
    path("sandbox/links/new/", sandbox.link_new, name="sandbox-link-new"),
    path("sandbox/links/<int:link_id>/reset/", sandbox.link_reset, name="sandbox-link-reset"),
    path("sandbox/traces/<str:click_id>/", sandbox.trace, name="sandbox-trace"),
    path("sandbox/traces/<str:click_id>/send/", sandbox.trace_send, name="sandbox-trace-send"),
]
