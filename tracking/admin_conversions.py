"""Admin for the callback inbox and conversions."""
