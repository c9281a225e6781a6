"""`make vendor`: the JavaScript the site serves itself, from the package registries, pinned.

    python tools/vendor.py          # fills book/_static/vendor/ (the site) and _build/npm/ (tests)

The built site makes no request to another host, so a copy of ``_build/html`` works offline:

- from npm (``npm pack``, each tarball checked against the sha512 pinned below, as a lock file
  would): MathJax 3 (the version Sphinx 7 configures), axe-core for the browser tests, and
  plotly.js's "cartesian" bundle, of the same version as the pinned ``plotly`` wheel (checked).
  It is the smallest published bundle that draws every trace the book uses (scatter, bar and
  heatmap; "basic" has no heatmap): 1.5 MB, 0.5 MB gzip, where the full bundle is 4.6 MB.

Sphinx copies ``book/_static/vendor/`` into ``_build/html/_static/vendor/``;
``book/_ext/offline_assets.py`` points the pages at it. Nothing is fetched when the pins match
what is already there.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE_VENDOR = ROOT / "book" / "_static" / "vendor"   # served by the site
TEST_VENDOR = ROOT / "_build" / "npm"                 # used by tests only (axe-core)
TARBALLS = TEST_VENDOR / "tarballs"

# name@version -> (npm's sha512 integrity, destination, folder in the package, [paths in that folder]):
# each path is copied to the same path under the destination; one ending in "/" copies a folder.
# Upgrading: change the version, run `npm view NAME@VERSION dist.integrity`, paste the integrity here.
PINS = {
    # MathJax's loader and only the components the book's TeX needs (base and AMS input, CommonHTML
    # output and its fonts): 0.2 MB gzip where the combined tex-mml-chtml.js with its menu is 0.3
    "mathjax@3.2.2": (
        "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        SITE_VENDOR / "mathjax", "es5/", ["startup.js", "core.js", "input/tex-base.js", "input/tex/extensions/ams.js",
                                          "input/tex/extensions/noundefined.js", "output/chtml.js", "output/chtml/"]),
    # the version must be the plotly wheel's plotly.js (main() checks): upgrade the two together
    "plotly.js-cartesian-dist-min@4.1.1": (
        "sha512-o8GrFeusncwBIxbBynRJpY4pkgVB6caM+JLpwrLYbbsO7dZ8FJ+SVN2Fr+L7kiG/Z6w4P5O0Jus/Qr5EefHVeg==",
        SITE_VENDOR, "", ["plotly-cartesian.min.js"]),
    "axe-core@4.11.1": (
        "sha512-BASOg+YwO2C+346x3LZOeoovTIoTrRqEsqMa6fmfAV0P+U9mFr9NsyOEpiYvFjbc64NMrSswhV50WdXzdb/Z5A==",
        TEST_VENDOR, "", ["axe.min.js"]),
}
SKIP_SUFFIXES = (".map", ".LICENSE.txt")   # source maps and licence banners are not served


def fetch(spec: str, expected: str) -> Path:
    """The package's tarball from the npm registry (cached), checked against ``expected``."""
    TARBALLS.mkdir(parents=True, exist_ok=True)
    name, version = spec.rsplit("@", 1)
    tarball = TARBALLS / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    if not tarball.exists():
        if shutil.which("npm") is None:
            sys.exit("make vendor: needs npm (Debian package `npm`); `make vendor` installs it")
        subprocess.run(["npm", "pack", spec, "--pack-destination", str(TARBALLS), "--silent"],
                       check=True, stdout=subprocess.DEVNULL)
    if "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode() != expected:
        tarball.unlink()
        sys.exit(f"make vendor: {spec} from the registry does not match its pinned sha512")
    return tarball


def extract(tarball: Path, dest: Path, folder: str, paths: list[str]) -> int:
    """Copy ``package/<folder><path>`` of the tarball to ``dest/<path>`` for each of ``paths``."""
    count = 0
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            rel = member.name.removeprefix(f"package/{folder}")
            wanted = any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in paths)
            if member.isfile() and rel != member.name and wanted and not rel.endswith(SKIP_SUFFIXES):
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                (dest / rel).write_bytes(tar.extractfile(member).read())
                count += 1
    return count


def check_plotly_version() -> None:
    from plotly.offline import get_plotlyjs_version

    wheel = get_plotlyjs_version()
    pinned = next(spec.rsplit("@", 1)[1] for spec in PINS if spec.startswith("plotly.js-"))
    if wheel != pinned:
        sys.exit(f"make vendor: the plotly wheel draws with plotly.js {wheel}, the site would "
                 f"serve {pinned}: pin plotly.js-cartesian-dist-min@{wheel} in tools/vendor.py")


def main() -> int:
    check_plotly_version()
    stamp_text = json.dumps({spec: pin[0] for spec, pin in PINS.items()}, indent=1)
    stamps = [dest / ".vendor-stamp" for dest in (SITE_VENDOR, TEST_VENDOR)]
    if all(s.exists() and s.read_text() == stamp_text for s in stamps):
        return 0
    shutil.rmtree(SITE_VENDOR, ignore_errors=True)
    for spec, (expected, dest, folder, paths) in PINS.items():
        n = extract(fetch(spec, expected), dest, folder, paths)
        print(f"make vendor: {spec}: {n} files into {dest.relative_to(ROOT)}")
    for stamp in stamps:
        stamp.write_text(stamp_text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
