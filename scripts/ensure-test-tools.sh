#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages: Debian's Chromium for the browser tests
# (Playwright's own browser download does not work here). Does nothing when it is there already.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "Installing Debian's chromium for the browser tests..."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
