"""Admin for tracking links and clicks."""
