"""Django's admin app, with the two-factor gated site (accounts.admin_access.TwoFactorAdminSite)
as `admin.site`. Its own module: INSTALLED_APPS imports it before any model is loaded, and the
site's module imports models."""

from django.contrib.admin.apps import AdminConfig


class TwoFactorAdminConfig(AdminConfig):
    default_site = "accounts.admin_access.TwoFactorAdminSite"
