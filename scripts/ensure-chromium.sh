#!/usr/bin/env bash
# The browser tests drive Debian's chromium (Playwright cannot download its own browser here).
# Install it when missing and we may; in CI a missing browser fails the browser tests loudly.
set -u
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null) \
    || echo "could not install chromium: browser tests will say so"
else
  echo "chromium is not installed (apt-get install chromium): browser tests will be skipped outside CI"
fi
exit 0
