"""API key pages (portal/views/api_keys.py), spliced into portal/urls.py (namespace `portal`)."""

from django.urls import path

from portal.views import api_keys

urlpatterns = [
    path("account/api-keys/", api_keys.own_keys, name="api-keys"),
    path("account/api-keys/<int:key_id>/revoke/", api_keys.revoke, name="api-key-revoke"),
    path("network/api-keys/", api_keys.partner_keys, name="partner-api-keys"),
]
