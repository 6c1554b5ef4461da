# The pinned LiteRT runtime (libLiteRt.so 2.3.0 from the official ai-edge-litert wheel),
# sourced by scripts/setup.sh (the build host's runtime/) and scripts/deb.sh (the
# library each .deb ships). proctord refuses any other build by sha256 at run time.
LITERT_VERSION=2.3.0

# litert_pin ARCH (amd64|x86_64|arm64|aarch64): sets LITERT_PLATFORM and LITERT_SHA256.
litert_pin() {
  case $1 in
    amd64|x86_64)  LITERT_PLATFORM=manylinux_2_27_x86_64;  LITERT_SHA256=eec47eb35e2924b3166015887e652a58edc9af823ae38e02bf83bef2548300bb ;;
    arm64|aarch64) LITERT_PLATFORM=manylinux_2_27_aarch64; LITERT_SHA256=b57687dc234d2b8b0598aef5a9c961ed24263df8f8b3f56adbee1cff618e544b ;;
    *) echo "LiteRT ships no build for $1 (only x86_64 and aarch64)" >&2; return 1 ;;
  esac
}

# litert_fetch ARCH DEST: DEST holds the pinned libLiteRt.so for ARCH afterwards (kept
# when it already matches; a download with another sha256 is refused, exit 1).
litert_fetch() {
  local arch=$1 dest=$2
  litert_pin "$arch" || return 1
  if [[ -f $dest && $(sha256sum "$dest" | cut -d' ' -f1) == "$LITERT_SHA256" ]]; then return 0; fi
  echo "fetching LiteRT $LITERT_VERSION ($LITERT_PLATFORM) from the ai-edge-litert wheel" >&2
  local tmp; tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.11 \
    --platform "$LITERT_PLATFORM" "ai-edge-litert==$LITERT_VERSION" -d "$tmp"
  unzip -q -o -j "$tmp"/ai_edge_litert-*.whl ai_edge_litert/libLiteRt.so -d "$tmp/lib"
  local got; got=$(sha256sum "$tmp/lib/libLiteRt.so" | cut -d' ' -f1)
  if [[ $got != "$LITERT_SHA256" ]]; then
    echo "REFUSED libLiteRt.so with sha256 $got (expected $LITERT_SHA256)" >&2; rm -rf "$tmp"; return 1
  fi
  mkdir -p "$(dirname "$dest")"
  mv "$tmp/lib/libLiteRt.so" "$dest"
  rm -rf "$tmp"
}
