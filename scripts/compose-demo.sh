#!/usr/bin/env bash
# Composes the demo's kiosk-view timeline (`make demo`, `make docs-images` and the
# demo_timeline test play it) from real footage in ../shared/media. It is made at setup
# time and never committed as video. 640x480 at 20 fps (the webcam clip's own rate),
# H.264, 114.65 s, with light temporal noise over everything (the stills too) so the
# decoder and the models see a camera stream rather than a static picture. (Stronger noise,
# alls=6, made SSD call the black lab monitor behind the student a "tv" at its 0.5 score
# threshold on a few frames: a device_detected while he works.) A caption in
# the top-left corner names the segment and the clip time, so whoever watches the status
# page knows what the daemon is being shown.
#
#   clip time  what the camera sees                     from (all real, nothing staged by us)
#   0:00-0:20  the candidate working at the screen;     video/autooep_front_webcam.avi frames 0-399
#              at 0:02 a 0.6 s glance aside, under      (a student at a computer-lab webcam, MIT)
#              the 5 s threshold: never flagged
#   0:20-0:32  looking away for 12 s                    the same clip's glance (frames 45-50, the
#                                                       head fully turned) played back and forth
#                                                       at a quarter of its speed
#   0:32-0:45  working again                            the same clip, frames 100-359
#   0:45-1:00  holding up a phone                       eval/webcam_objects frames 149-158: a man at a
#                                                       laptop webcam holding a phone up beside his
#                                                       face (Roboflow "detection-necem", CC BY 4.0),
#                                                       1.5 s each, there and back, un-stretched from
#                                                       640x640 to 4:3. Chosen because the shipped
#                                                       models judge them right (`proctord detect
#                                                       --json`: "cell phone" 0.63-0.82, his face
#                                                       frontal); frames 160-175 and 187-205 of the
#                                                       same set come out as "remote" (device_detected)
#   1:00-1:20  the seat is empty (no face, 20 s)        no_person/intel_people-detection_f22.png
#                                                       (an empty room, Intel sample-videos, CC BY 4.0)
#   1:20-1:32  a second person in view (12 s)           multi_person/two_people.jpg (two frontal
#                                                       faces side by side, as in analyze_scenario;
#                                                       Intel's webcam pair has the woman turned away)
#   1:32-1:55  the candidate is back, working           video/autooep_front_webcam.avi frames 60-512
#
# Events the shipped models give on it (`proctord analyze --config config/examples/demo.toml`;
# daemon/tests/demo_timeline.rs checks them, ±1.5 s): looking_away from 0:20, phone_detected
# from 0:45, no_face from 1:00, multiple_faces from 1:20. Events start at the onset of the
# condition; the page shows each once it has lasted its threshold (looking away 5 s, no
# face 10 s, a phone 3 of 5 object frames, two faces 1 s).
#
# Usage: scripts/compose-demo.sh [OUT.mp4]       (default var/media/demo-timeline.mp4; paths
#                                                 relative to the repository root)
#        scripts/compose-demo.sh --timeline      prints what happens when, for `make demo`
# MEDIA_DIR (default ../shared/media) names the media folder. The output is rebuilt when
# this script changes (OUT.mp4.sha256 holds the script's hash it was made from).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${1:-} == --timeline ]]; then
  cat <<'EOF'
  0:00  the candidate works at the screen
  0:02  a 0.6 s glance aside     (under the 5 s threshold: not flagged)
  0:20  looking away starts      ("Looking away" on the page at 0:25, once it has lasted 5 s)
  0:32  back at the screen       (the event ends)
  0:45  a phone is held up       ("Phone detected" within a second)
  1:00  the seat is empty        ("No face in view" at 1:10, once it has lasted 10 s)
  1:20  a second person appears  ("More than one face" after 1 s)
  1:32  the candidate is back, working
EOF
  exit 0
fi

media=${MEDIA_DIR:-../shared/media}
out=${1:-var/media/demo-timeline.mp4}
stamp="$out.sha256"
script_hash=$(sha256sum "$0" | cut -d' ' -f1)
if [[ -s $out && -f $stamp && $(cat "$stamp") == "$script_hash" ]]; then exit 0; fi

command -v ffmpeg >/dev/null || { echo "compose-demo.sh: ffmpeg is missing: run 'make setup' (or apt-get install ffmpeg)" >&2; exit 1; }
webcam="$media/video/autooep_front_webcam.avi"
# Held up beside his face, turned a little; then back the same way, for movement.
phones=(webcam_149_train webcam_151_train webcam_152_train webcam_154_test webcam_155_train webcam_157_train webcam_158_valid webcam_157_train webcam_155_train webcam_154_test)
empty="$media/no_person/intel_people-detection_f22.png"
second="$media/multi_person/two_people.jpg"
phone_files=("${phones[@]/#/$media/eval/webcam_objects/}")
phone_files=("${phone_files[@]/%/.jpg}")
for f in "$webcam" "$empty" "$second" "${phone_files[@]}"; do
  [[ -s $f ]] || { echo "compose-demo.sh: $f is missing: the demo is composed from ../shared/media (set MEDIA_DIR to another copy)" >&2; exit 1; }
done
font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
[[ -s $font ]] || { echo "compose-demo.sh: $font is missing: run 'make setup' (fonts-dejavu-core)" >&2; exit 1; }

fps=20
fit="scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=$fps,format=yuv420p"
# A clip range by frame number, starting at pts 0.
frames() { echo "trim=start_frame=$1:end_frame=$2,setpts=PTS-STARTPTS,format=yuv420p"; }

inputs=(-i "$webcam")
graph="[0:v]split=4[w1][w2][w3][w4];"
graph+="[w1]$(frames 0 400)[normal1];"
# The fully turned frames, forth and back, each held 0.25 s, for exactly 12 s.
graph+="[w2]$(frames 45 51),split[fwd][back0];[back0]reverse[back];[fwd][back]concat=n=2:v=1:a=0,"
graph+="loop=loop=4:size=12:start=0,setpts=N*0.25/TB,fps=$fps,trim=duration=12[away];"
graph+="[w3]$(frames 100 360)[normal2];"
graph+="[w4]$(frames 60 513)[normal3];"
n=1
phone_labels=""
for p in "${phone_files[@]}"; do
  inputs+=(-loop 1 -framerate $fps -t 1.5 -i "$p")
  # Roboflow stretched the 4:3 webcam frames to 640x640: back to 640x480.
  graph+="[$n:v]scale=640:480,setsar=1,fps=$fps,format=yuv420p[p$n];"
  phone_labels+="[p$n]"
  n=$((n + 1))
done
graph+="${phone_labels}concat=n=${#phones[@]}:v=1:a=0[phone];"
inputs+=(-loop 1 -framerate $fps -t 20 -i "$empty")
graph+="[$n:v]$fit[empty];"
n=$((n + 1))
inputs+=(-loop 1 -framerate $fps -t 12 -i "$second")
graph+="[$n:v]$fit[second];"

# The caption: which segment this is and the clip time.
caption() { echo "drawtext=fontfile=$font:fontsize=15:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=4:x=8:y=8:text='demo %{eif\:t/60\:d}\:%{eif\:mod(t\,60)\:d\:2}  $1':enable='between(t,$2,$3)'"; }
graph+="[normal1][away][normal2][phone][empty][second][normal3]concat=n=7:v=1:a=0,noise=alls=4:allf=t,"
graph+="$(caption 'working at the screen' 0 20),"
graph+="$(caption 'looking away' 20 32),"
graph+="$(caption 'back at the screen' 32 45),"
graph+="$(caption 'holding a phone' 45 60),"
graph+="$(caption 'the seat is empty' 60 80),"
graph+="$(caption 'a second person' 80 92),"
graph+="$(caption 'back at the screen' 92 200)[v]"

mkdir -p "$(dirname "$out")"
tmp="$out.$$.tmp.mp4"
ffmpeg -hide_banner -loglevel error -y "${inputs[@]}" -filter_complex "$graph" \
  -map "[v]" -c:v libx264 -preset veryfast -crf 20 -g 40 -r $fps -pix_fmt yuv420p -movflags +faststart "$tmp"
mv "$tmp" "$out"
echo "$script_hash" >"$stamp"
echo "compose-demo.sh: wrote $out" >&2
