#!/usr/bin/env bash
# The demo: proctord on the demo media. Grows with the daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
bin=target/release/proctord
media=../shared/media
for img in "$media"/single_face/obama.jpg "$media"/multi_person/two_people.jpg \
           "$media"/phone/coco_000000000395.jpg "$media"/book_notes/skimage_page.png \
           "$media"/looking_away/skimage_camera.png "$media"/no_person/tfexamples_table.jpg; do
  RUST_LOG=warn $bin detect --input "$img" 2>/dev/null
done
RUST_LOG=warn $bin detect --input "$media"/video/intel_one-by-one-person-detection.mp4 2>/dev/null | tail -n 15
