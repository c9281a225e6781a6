#!/usr/bin/env bash
# apt-install.sh WHO PACKAGE...: install the Debian packages that are not installed yet, as root or
# through password-less sudo; WHO (e.g. "make pdf") names the caller in every message.
# Exit status 0 when everything is there (installed now or before), 1 when it cannot be installed.
set -euo pipefail
who=$1; shift

missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "$who: needs Debian packages ${missing[*]}, and this system has no apt-get." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "$who: needs Debian packages ${missing[*]}; run as root or install them:" >&2
    echo "  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
echo "$who: installing ${missing[*]} with apt-get"
start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "$who: installed in $(( $(date +%s) - start )) s"
