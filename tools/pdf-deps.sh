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
set -euo pipefail
PACKAGES=(texlive-xetex texlive-fonts-recommended fonts-freefont-otf fonts-wqy-microhei latexmk poppler-utils chromium)

exec bash "$(dirname "$0")/apt-install.sh" "make pdf" "${PACKAGES[@]}"
