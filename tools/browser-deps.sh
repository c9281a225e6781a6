#!/usr/bin/env bash
# What `make vendor` and the browser tests need from Debian, installed with apt-get when missing
# (the same way as tools/pdf-deps.sh):
#   npm        fetches the site's pinned JavaScript from the npm registry (tools/vendor.py)
#   chromium   the browser that Playwright drives in tests/test_browser.py (/usr/bin/chromium)
# A command already on the PATH counts (e.g. npm from nodejs.org's packages).
set -euo pipefail
declare -A NEEDS=([npm]=npm [chromium]=chromium)

missing=()
for cmd in "${!NEEDS[@]}"; do
  command -v "$cmd" >/dev/null || missing+=("${NEEDS[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

exec bash "$(dirname "$0")/apt-install.sh" "make vendor" "${missing[@]}"
