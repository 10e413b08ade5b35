"""Admin registrations live beside the code they show; importing them registers them."""

from tracking import admin_clicks, admin_conversions

__all__ = ["admin_clicks", "admin_conversions"]
