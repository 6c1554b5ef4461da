#!/usr/bin/env bash
# Composes the live benchmark's camera-like clip from the stills in ../shared/media:
#   0-8 s one face at the screen, 8-10 s a phone held up (2 s), 10-16 s the face again;
# 640x480, 15 fps (a USB webcam's usual mode), H.264 with light temporal noise so it
# decodes like a camera stream. The phone appears at PHONE_AT_S (printed by live.py).
# Usage: bench/compose_live.sh MEDIA_DIR OUT.mp4 [PHONE_STILL]
set -euo pipefail
media="$1"
out="$2"
phone="${3:-$media/eval/webcam_objects/webcam_154_test.jpg}"
[ -s "$out" ] && exit 0
command -v ffmpeg >/dev/null || { echo "bench/compose_live.sh: ffmpeg is missing (apt-get install ffmpeg)" >&2; exit 1; }
fit="scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=15,format=yuv420p"
tmp="$out.tmp.mp4"
ffmpeg -hide_banner -loglevel error -y \
  -loop 1 -framerate 15 -t 8 -i "$media/single_face/intel_head-pose-male_f00.png" \
  -loop 1 -framerate 15 -t 2 -i "$phone" \
  -loop 1 -framerate 15 -t 6 -i "$media/single_face/intel_head-pose-male_f00.png" \
  -filter_complex "[0]$fit[a];[1]$fit[b];[2]$fit[c];[a][b][c]concat=n=3:v=1:a=0,noise=alls=6:allf=t[v]" \
  -map "[v]" -c:v libx264 -preset veryfast -crf 23 -g 30 -r 15 -pix_fmt yuv420p -movflags +faststart "$tmp"
mv "$tmp" "$out"
