#!/usr/bin/env bash
# What `make vendor` and the browser tests need from Debian, installed with apt-get when missing
# (the same way as tools/pdf-deps.sh):
#   npm        fetches the site's pinned JavaScript from the npm registry (tools/vendor.py)
#   chromium   the browser that Playwright drives in tests/test_browser.py (/usr/bin/chromium)
# A command already on the PATH counts (e.g. npm from nodejs.org's packages).
# Exit status 0 when everything is there (installed now or before), 1 when it cannot be installed.
set -euo pipefail
declare -A NEEDS=([npm]=npm [chromium]=chromium)

missing=()
for cmd in "${!NEEDS[@]}"; do
  command -v "$cmd" >/dev/null || missing+=("${NEEDS[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "make vendor: needs ${missing[*]}, and this system has no apt-get." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "make vendor: needs Debian packages ${missing[*]}; run as root or install them:" >&2
    echo "  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
echo "make vendor: installing ${missing[*]} with apt-get"
start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "make vendor: installed in $(( $(date +%s) - start )) s"
