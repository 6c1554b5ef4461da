#!/usr/bin/env bash
# Composes the benchmark's 40 s 720p clip from the stills in ../shared/media:
#   0-12 s one face, 12-26 s empty room, 26-32 s two people, 32-40 s phone at the ear;
# 1280x720, 15 fps, H.264, with light temporal noise so the decoder works as on a camera
# stream rather than on a static picture. Usage: bench/compose.sh MEDIA_DIR OUT.mp4
set -euo pipefail
media="$1"
out="$2"
[ -s "$out" ] && exit 0
command -v ffmpeg >/dev/null || { echo "bench/compose.sh: ffmpeg is missing (apt-get install ffmpeg)" >&2; exit 1; }
fit="scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=15,format=yuv420p"
tmp="$out.tmp.mp4"
ffmpeg -hide_banner -loglevel error -y \
  -loop 1 -framerate 15 -t 12 -i "$media/single_face/intel_head-pose-male_f00.png" \
  -loop 1 -framerate 15 -t 14 -i "$media/no_person/intel_people-detection_f22.png" \
  -loop 1 -framerate 15 -t 6  -i "$media/multi_person/intel_head-pose-female-and-male_f00.png" \
  -loop 1 -framerate 15 -t 8  -i "$media/phone/coco_000000000395.jpg" \
  -filter_complex "[0]$fit[a];[1]$fit[b];[2]$fit[c];[3]$fit[d];[a][b][c][d]concat=n=4:v=1:a=0,noise=alls=6:allf=t[v]" \
  -map "[v]" -c:v libx264 -preset veryfast -crf 23 -g 30 -r 15 -pix_fmt yuv420p -movflags +faststart "$tmp"
mv "$tmp" "$out"
