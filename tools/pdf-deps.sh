#!/usr/bin/env bash
# The Debian packages `make pdf` needs, installed with apt-get when any is missing (about 90 MB):
#   texlive-xetex             XeLaTeX, which jupyter-book's LaTeX theme requires; it brings
#                             texlive-latex-base/-recommended/-extra and lmodern with it
#   texlive-fonts-recommended the standard PostScript fonts (hyperref's link font, among others)
#   fonts-freefont-otf        FreeSerif/FreeSans/FreeMono, Sphinx's fonts under XeLaTeX
#   fonts-wqy-microhei        a small font for the Chinese titles in the bibliography
#   latexmk                   runs LaTeX and makeindex as often as the book needs
#   poppler-utils             pdftotext and pdfinfo, for the PDF's test
#   chromium                  draws the interactive figures as static images (through Kaleido)
# Not needed: texlive-fonts-extra (500 MB, only for bbm.sty, which book/_ext/print_outputs.py
# stubs), xindy (makeindex is used), tex-gyre (only for pdflatex's default fonts).
# Exit status 0 when everything is there (installed now or before), 1 when it cannot be installed.
set -euo pipefail
PACKAGES=(texlive-xetex texlive-fonts-recommended fonts-freefont-otf fonts-wqy-microhei latexmk poppler-utils chromium)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "make pdf: needs Debian packages ${missing[*]}, and this system has no apt-get." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "make pdf: needs Debian packages ${missing[*]}; run as root or install them:" >&2
    echo "  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
echo "make pdf: installing ${missing[*]} with apt-get"
start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "make pdf: installed in $(( $(date +%s) - start )) s"
