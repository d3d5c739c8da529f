#!/usr/bin/env bash
# Chromium for the browser tests (Debian's, driven by Playwright; tests/browser/conftest.py finds
# it the same way). Missing: root installs it; anyone else is given the command and stopped now,
# not at the end of a long test run.
set -euo pipefail

found() {
  { [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; } \
    || command -v chromium >/dev/null 2>&1 \
    || command -v chromium-browser >/dev/null 2>&1 \
    || [ -x /usr/bin/chromium ] \
    || [ -x /usr/bin/chromium-browser ]
}

found && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is not installed and the browser tests need it. Install it, then run again:" >&2
  echo "  sudo apt-get install -y chromium" >&2
  exit 1
fi
echo "Installing Chromium for the browser tests (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
found || { echo "apt-get finished but no chromium was found" >&2; exit 1; }
