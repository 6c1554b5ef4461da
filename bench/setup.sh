#!/usr/bin/env bash
# Creates bench/.venv (gitignored) with the Python reference pipeline's pinned packages:
# the same LiteRT runtime as proctord (ai-edge-litert 2.3.0), numpy, OpenCV, Pillow.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
py="${PYTHON:-python3.11}"
command -v "$py" >/dev/null || py=python3
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import ai_edge_litert, numpy, cv2, PIL' 2>/dev/null \
   && cmp -s "$here/python/requirements.txt" "$venv/.requirements"; then
  exit 0
fi
"$py" -c 'import sys; assert sys.version_info[:2] >= (3, 9), sys.version' 
echo "bench/setup.sh: creating $venv with $("$py" --version)" >&2
rm -rf "$venv"
"$py" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: -r "$here/python/requirements.txt"
cp "$here/python/requirements.txt" "$venv/.requirements"
"$venv/bin/python" -c 'import ai_edge_litert, numpy, cv2, PIL; print("bench venv ok: numpy", numpy.__version__, "opencv", cv2.__version__, "pillow", PIL.__version__)' >&2
