#!/bin/sh
# Browser tests drive Debian's Chromium (Playwright's own browser download is not reachable from
# the district's machines). Install it when we can; otherwise say why browser tests will skip.
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
    exit 0
fi
echo "NOTE: /usr/bin/chromium is missing and cannot be installed without root:" \
     "browser tests will be skipped (in CI they fail instead)." >&2
