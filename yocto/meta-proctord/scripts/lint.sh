#!/usr/bin/env bash
# Lints the layer's recipes offline with oelint-adv (pip install oelint-adv).
# Suppressed for the whole layer, with the reason:
#   oelint.vars.homepageping   no network here to ping HOMEPAGE
#   oelint.var.bbclassextend   (info) target-only recipes: a kiosk daemon, its prebuilt
#                              runtime, models and config have no native/nativesdk use
# Everything else is clean; the few line-level exceptions carry a "# nooelint:" comment
# with their reason next to them.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v oelint-adv >/dev/null || { echo "lint: pip install oelint-adv" >&2; exit 77; }
out=$(oelint-adv --quiet --release scarthgap \
        --suppress oelint.vars.homepageping --suppress oelint.var.bbclassextend \
        recipes-*/*/*.bb 2>&1) || true
if [[ -n $out ]]; then echo "$out"; exit 1; fi
echo "lint: oelint-adv clean ($(ls recipes-*/*/*.bb | wc -l) recipes, scarthgap)"
