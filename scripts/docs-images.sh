#!/usr/bin/env bash
# Regenerates the README's pictures from the running product (`make docs-images`):
#   docs/status-page.png   the status page during the demo, by Debian's chromium through
#                          playwright-core (tests/e2e/demo_screenshot.mjs): live boxes,
#                          the session's timeline with every event of the demo timeline,
#                          the kiosk's health
#   docs/report-page1.png  page 1 of that session's PDF report, by pdftoppm
# It runs the demo (scripts/demo.sh) with its own state in var/docs-images, so a user's
# var/demo is left alone; about two and a half minutes. Never edit the pictures by hand.
#
# Environment: PROCTORD_BIN=FILE uses a proctord already built (default: release build).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=var/docs-images
for tool in /usr/bin/chromium node pdftoppm; do
  command -v "$tool" >/dev/null || { echo "docs-images: $tool is missing: run 'make setup'" >&2; exit 1; }
done
[[ -d tests/e2e/node_modules/playwright-core ]] || { echo "docs-images: playwright-core is missing: run 'make setup'" >&2; exit 1; }
if [[ -z ${PROCTORD_BIN:-} ]]; then
  cargo build --release -q
  export PROCTORD_BIN=target/release/proctord
fi

rm -rf "$dir"
mkdir -p "$dir" docs
# The demo's config with its own state directory.
sed 's|^state_dir *= *".*"|state_dir = "'"$dir"'/state"|' config/examples/demo.toml >"$dir/demo.toml"
DEMO_DIR=$dir CONFIG=$dir/demo.toml DEMO_SECONDS=900 scripts/demo.sh >"$dir/demo.out" 2>&1 &
demo=$!
stop_demo() { kill -TERM "$demo" 2>/dev/null || true; wait "$demo" 2>/dev/null || true; }
trap stop_demo EXIT

# Composing the clip (first run) and loading the models come before the page answers.
for _ in $(seq 1 240); do
  grep -q '^demo: Ctrl-C\|^demo: stopping by itself' "$dir/demo.out" 2>/dev/null && break
  kill -0 "$demo" 2>/dev/null || { cat "$dir/demo.out" >&2; echo "docs-images: the demo stopped" >&2; exit 1; }
  sleep 1
done
node tests/e2e/demo_screenshot.mjs http://127.0.0.1:8080 docs/status-page.png

stop_demo
trap - EXIT
cat "$dir/demo.out"
[[ -s $dir/report.pdf ]] || { echo "docs-images: the demo wrote no report (see $dir/demo.out)" >&2; exit 1; }
pdftoppm -f 1 -l 1 -r 80 -png -singlefile "$dir/report.pdf" docs/report-page1
echo "docs-images: wrote docs/status-page.png and docs/report-page1.png"
