"""Settings for the baseline server of bench/clicks.py: the project's, with a URLconf that routes
/base/c/<code> to the plain ORM view (bench/clicks_baseline.py)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.clicks_baseline"
