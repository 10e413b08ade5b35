#!/bin/sh
# Debian's chromium for the browser tests (tests/portal/), installed when missing. Playwright
# drives this binary; it never downloads a browser of its own.
set -e
[ -x /usr/bin/chromium ] && exit 0
echo "[chromium_ensure] /usr/bin/chromium missing: installing Debian's chromium" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
