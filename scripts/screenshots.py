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
    # Every journey in a real browser: tests/portal/test_*in_a_real_browser.py.
    tests = sorted(
        str(p.relative_to(ROOT)) for p in ROOT.glob("tests/portal/test_*real_browser.py")
    )
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests]
    sys.exit(subprocess.call(pytest, cwd=ROOT, env=env))
