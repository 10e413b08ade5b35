"""Settings for the baseline server of bench/conversions.py: the project's, with a URLconf that
routes /base/postback to the plain ORM view (bench/conversions_baseline.py)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.conversions_baseline"
