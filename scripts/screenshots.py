#!/usr/bin/env python3
"""Regenerate docs/screenshots/*.png: run the browser tests with screenshots on.

    .venv/bin/python scripts/with_services.py -- .venv/bin/python scripts/screenshots.py

Needs chromium (scripts/chromium_ensure.sh) and a PostgreSQL and Redis (with_services.py).
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    env = {**os.environ, "AFFNET_SCREENSHOTS": "1"}
    test = "tests/portal/test_in_a_real_browser.py"
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test]
    sys.exit(subprocess.call(pytest, cwd=ROOT, env=env))
