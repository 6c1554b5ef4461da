#!/usr/bin/env bash
# Builds the Debian packages from a staged tree with dpkg-deb (no debhelper, no cargo-deb):
#
#   proctord_<version>_<arch>.deb     /usr/bin/proctord, the pinned libLiteRt.so for the
#                                     architecture (/usr/lib/proctord), the systemd unit
#                                     and sysusers file, /etc/proctord/proctord.toml (a
#                                     conffile), board examples under /usr/share/doc
#   proctord-models_<version>_all.deb the models the default config runs, with the
#                                     manifest, in /usr/share/proctord/models; their
#                                     licences in /usr/share/doc/proctord-models/copyright
#
#   scripts/deb.sh [--arch amd64|arm64] [--no-models] [--models-only]
#
# Depends are declared, not guessed: dpkg-shlibdeps on the binary and libLiteRt.so, plus
# the GStreamer plugin packages of the elements in packaging/debian/gstreamer-elements
# (gst-inspect-1.0 finds each element's plugin .so, dpkg -S its package), plus the
# packages of the files in packaging/debian/runtime-files (the PDF report's fonts). An arm64
# package cross-built on amd64 takes the amd64 binary's shlibdeps after checking that both need the
# same shared libraries (the arm64 libraries are unpacked into a sysroot, not installed,
# so dpkg knows nothing about them); the package names are the same on both.
#
# Environment:
#   PROFILE         release (default; what `make deb` ships) or dev (the debug build that
#                   `make test` already has: the CI's install test packages that one)
#   PROCTORD_BIN    package this binary instead of building one
#   PROCTORD_HOST_BIN  arm64 only: the amd64 build of the same source whose shlibdeps
#                   the arm64 package takes (default target/<profile>/proctord, built
#                   when missing)
#   DEB_VERSION     the package version (default: daemon/Cargo.toml's version)
#   DEB_OUT         output directory (default target/debian)
#   PROCTORD_MODEL_MIRROR  directory to copy models from (default ../shared/models when
#                   it exists, else the upstream URLs), as scripts/setup.sh
#
# Prints the path of each .deb it wrote, one per line, on stdout.
set -euo pipefail
shopt -s inherit_errexit  # a failure inside $(...) fails the build too
cd "$(dirname "$0")/.."
repo=$(pwd)
# shellcheck source=scripts/litert.sh
. scripts/litert.sh

arch=$(dpkg --print-architecture)
build_proctord=true
build_models=true
while (($#)); do
  case $1 in
    --arch) arch=${2:?--arch needs amd64 or arm64}; shift ;;
    --no-models) build_models=false ;;
    --models-only) build_proctord=false ;;
    *) echo "usage: $0 [--arch amd64|arm64] [--no-models] [--models-only]" >&2; exit 2 ;;
  esac
  shift
done
case $arch/$(dpkg --print-architecture) in
  amd64/amd64|arm64/arm64|arm64/amd64) ;;  # native builds, and arm64 cross-built on amd64
  *) echo "deb: cannot build a $arch package on $(dpkg --print-architecture) (amd64 or arm64 natively, arm64 on amd64)" >&2; exit 2 ;;
esac

PROFILE=${PROFILE:-release}
VERSION=${DEB_VERSION:-$(sed -n 's/^version = "\(.*\)"/\1/p' daemon/Cargo.toml | head -n 1)}
OUT=$(realpath -m "${DEB_OUT:-target/debian}")
PKG=packaging/debian
MAINTAINER="proctord maintainers <proctord@localhost>"
HOMEPAGE="https://github.com/proctord/proctord"

log() { echo "deb: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
for tool in dpkg-deb dpkg-shlibdeps gst-inspect-1.0 python3; do
  command -v $tool >/dev/null || die "$tool not found (apt-get install dpkg-dev gstreamer1.0-tools python3, or make setup)"
done
mkdir -p "$OUT"

# --- the binary -------------------------------------------------------------------------
profile_dir() { [[ $PROFILE == dev ]] && echo debug || echo "$PROFILE"; }

host_binary() {
  if [[ -n ${PROCTORD_BIN:-} ]]; then echo "$PROCTORD_BIN"; return; fi
  log "building proctord ($PROFILE)"
  cargo build --locked -q -p proctord --bin proctord --profile "$PROFILE" >&2
  echo "target/$(profile_dir)/proctord"
}

cross_binary() {
  if [[ -n ${PROCTORD_BIN:-} ]]; then echo "$PROCTORD_BIN"; return; fi
  log "cross-building proctord ($PROFILE) for arm64 with scripts/cross-aarch64.sh"
  PROFILE=$PROFILE scripts/cross-aarch64.sh >&2
  local target_dir=${CARGO_TARGET_DIR:-$(cd "$repo/.." && pwd)/cross-target}
  echo "$target_dir/aarch64-unknown-linux-gnu/$(profile_dir)/proctord"
}

# The shared libraries an ELF file needs (DT_NEEDED), sorted; the dynamic loader
# (ld-linux-x86-64.so.2, ld-linux-aarch64.so.1) is named per architecture but comes with
# libc6 on each, so it is left out of the comparison between architectures.
needed() { objdump -p "$1" | sed -n 's/^ *NEEDED *//p' | grep -v '^ld-linux-' | sort; }

# shlibs:Depends of the host binary and the LiteRT library, from dpkg-shlibdeps.
shlib_depends() {
  local bin=$1 lib=$2 work
  work=$(mktemp -d)
  mkdir -p "$work/debian"
  printf 'Source: proctord\n\nPackage: proctord\nArchitecture: any\n' >"$work/debian/control"
  (cd "$work" && dpkg-shlibdeps -O "-e$bin" "-e$lib" 2>"$work/err") | sed -n 's/^shlibs:Depends=//p' \
    || { cat "$work/err" >&2; rm -rf "$work"; die "dpkg-shlibdeps failed"; }
  rm -rf "$work"
}

# "depends" or "recommends" packages of the GStreamer elements the pipeline creates.
gst_packages() {
  local want=$1 element how file pkgs=()
  while read -r element how _; do
    [[ -z $element || $element == \#* || $how != "$want" ]] && continue
    file=$(gst-inspect-1.0 "$element" 2>/dev/null | sed -n 's/^ *Filename *//p' || true)
    [[ -n $file ]] || die "GStreamer element $element is not installed on this build host, so its package is unknown (make setup installs the plugins)"
    pkgs+=("$(dpkg -S "$(realpath "$file")" | cut -d: -f1)")
  done <"$PKG/gstreamer-elements"
  printf '%s\n' "${pkgs[@]}" | sort -u | paste -sd, | sed 's/,/, /g'
}

# The packages of list $2 that list $1 does not already name (with or without a version).
without_listed() {
  local have=$1 p kept=()
  IFS=, read -ra items <<<"$2"
  for p in "${items[@]}"; do
    p=${p# }
    grep -qE "(^|, )$p( |,|$)" <<<"$have" || kept+=("$p")
  done
  local IFS=,; echo "${kept[*]}" | sed 's/,/, /g'
}

# Packages of the files in packaging/debian/runtime-files.
file_packages() {
  local file pkgs=()
  while read -r file _; do
    [[ -z $file || $file == \#* ]] && continue
    pkgs+=("$(dpkg -S "$file" 2>/dev/null | cut -d: -f1)") || true
    [[ -n ${pkgs[-1]} ]] || die "$file (packaging/debian/runtime-files) is not installed on this build host, so its package is unknown"
  done <"$PKG/runtime-files"
  printf '%s\n' "${pkgs[@]}" | sort -u | paste -sd, | sed 's/,/, /g'
}

# /etc/proctord/proctord.toml: config/proctord.toml (every key, documented) with the
# packaged paths. Each replaced line must exist, so a renamed key fails the build.
packaged_config() {
  local src=config/proctord.toml dest=$1
  local -a edits=(
    's|^state_dir = "var/proctord"$|state_dir = "/var/lib/proctord"|'
    's|^library = "runtime/libLiteRt.so"$|library = "/usr/lib/proctord/libLiteRt.so"|'
    's|^dir = "models/cache"$|dir = "/usr/share/proctord/models"|'
    's|^manifest = "models/manifest.toml"$|manifest = "/usr/share/proctord/models/manifest.toml"|'
  )
  cp "$src" "$dest"
  local e before
  for e in "${edits[@]}"; do
    before=$(sha256sum "$dest")
    sed -i "$e" "$dest"
    [[ $(sha256sum "$dest") != "$before" ]] || die "packaged_config: '$e' matched nothing in $src (a key moved: update scripts/deb.sh)"
  done
  sed -i '1a # Installed by the proctord package (a conffile: upgrades keep your changes).\n# The runtime and models are the packaged ones (proctord, proctord-models).' "$dest"
}

build_proctord_deb() {
  local bin lib stage deb
  if [[ $arch == $(dpkg --print-architecture) ]]; then bin=$(host_binary); else bin=$(cross_binary); fi
  [[ -x $bin ]] || die "no proctord binary at $bin"
  stage=$OUT/stage/proctord_$arch
  rm -rf "$stage"
  mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/lib/proctord" "$stage/lib/systemd/system" \
    "$stage/usr/lib/sysusers.d" "$stage/etc/proctord" "$stage/usr/share/doc/proctord/examples"

  # Symbols stay (readable backtraces); debug sections go, as dh_strip would.
  local strip=strip; [[ $arch != $(dpkg --print-architecture) ]] && strip=aarch64-linux-gnu-strip
  $strip --strip-debug -o "$stage/usr/bin/proctord" "$bin"
  lib=$stage/usr/lib/proctord/libLiteRt.so
  if [[ $arch == $(dpkg --print-architecture) && -f runtime/libLiteRt.so ]]; then cp runtime/libLiteRt.so "$lib"; fi
  litert_fetch "$arch" "$lib" || die "no pinned libLiteRt.so for $arch"
  chmod 0644 "$lib"
  log "libLiteRt.so $LITERT_VERSION for $arch: sha256 $LITERT_SHA256 (checked)"

  install -m 0644 systemd/proctord.service "$stage/lib/systemd/system/proctord.service"
  install -m 0644 systemd/sysusers.d/proctord.conf "$stage/usr/lib/sysusers.d/proctord.conf"
  packaged_config "$stage/etc/proctord/proctord.toml"
  install -m 0644 config/examples/{pi4-cpu,pi5,jetson}.toml systemd/proctord.service.d/accelerators.conf.example \
    "$stage/usr/share/doc/proctord/examples/"
  cat >"$stage/usr/share/doc/proctord/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: proctord
Source: $HOMEPAGE

Files: usr/bin/proctord etc/proctord/* lib/systemd/system/* usr/lib/sysusers.d/*
Copyright: proctord contributors
License: Apache-2.0

Files: usr/lib/proctord/libLiteRt.so
Copyright: Google LLC (LiteRT $LITERT_VERSION, from the ai-edge-litert wheel on PyPI)
License: Apache-2.0

License: Apache-2.0
 On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.
EOF

  local depends recommends
  if [[ $arch == $(dpkg --print-architecture) ]]; then
    depends=$(shlib_depends "$(realpath "$bin")" "$lib")
  else
    # The host build of the same source: its libraries are installed, so dpkg knows them.
    local host_bin=${PROCTORD_HOST_BIN:-target/$(profile_dir)/proctord}
    [[ -x $host_bin ]] || cargo build --locked -q -p proctord --bin proctord --profile "$PROFILE" >&2
    [[ $(needed "$bin") == "$(needed "$host_bin")" ]] \
      || die "the arm64 and amd64 binaries need different libraries; declare the arm64 Depends by hand:
$(diff <(needed "$host_bin") <(needed "$bin"))"
    depends=$(shlib_depends "$(realpath "$host_bin")" "$(realpath runtime/libLiteRt.so)")
  fi
  [[ -n $depends ]] || die "dpkg-shlibdeps found no dependencies"
  local gst_depends gst_recommends files
  gst_depends=$(gst_packages depends)
  gst_recommends=$(gst_packages recommends)
  files=$(file_packages)
  depends="$depends, $(without_listed "$depends" "$gst_depends, $files"), systemd, init-system-helpers (>= 1.54~)"
  recommends="proctord-models, $gst_recommends"

  cat >"$stage/DEBIAN/control" <<EOF
Package: proctord
Version: $VERSION
Architecture: $arch
Maintainer: $MAINTAINER
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: $depends
Recommends: $recommends
Section: video
Priority: optional
Homepage: $HOMEPAGE
Description: exam-kiosk proctoring daemon (camera, LiteRT models, MQTT)
 proctord reads a USB camera, runs LiteRT face and object models and turns what it
 sees into proctoring events (no face, looking away, several faces, a phone, notes,
 another device). Each exam session gets a timeline and an integrity score, reported
 as JSON, HTML and PDF. It records H.264 through GStreamer, keeps events in a local
 store, publishes them over MQTT without losing any while the network is down, and
 serves a status page for the proctor.
EOF
  echo /etc/proctord/proctord.toml >"$stage/DEBIAN/conffiles"
  install -m 0755 "$PKG/proctord.postinst" "$stage/DEBIAN/postinst"
  install -m 0755 "$PKG/proctord.prerm" "$stage/DEBIAN/prerm"
  install -m 0755 "$PKG/proctord.postrm" "$stage/DEBIAN/postrm"

  deb=$OUT/proctord_${VERSION}_$arch.deb
  dpkg-deb --root-owner-group $(compression) --build "$stage" "$deb" >/dev/null
  rm -rf "$stage"
  log "wrote $deb ($(du -h "$deb" | cut -f1)); Depends: $depends"
  echo "$deb"
}

# xz for what ships; a fast gzip for the debug build the CI test installs.
compression() { [[ $PROFILE == release ]] && echo "-Zxz" || echo "-Zgzip -z1"; }

# --- the models -------------------------------------------------------------------------
# The manifest entries the default config (config/proctord.toml) runs, and their labels.
default_models() {
  python3 - config/proctord.toml models/manifest.toml <<'EOF'
import sys, tomllib
config = tomllib.load(open(sys.argv[1], "rb"))["models"]
manifest = {m["name"]: m for m in tomllib.load(open(sys.argv[2], "rb"))["model"]}
names = [config[k] for k in ("face", "face_short_range", "landmarks", "face_geometry", "objects") if config.get(k)]
names += [manifest[n]["labels"] for n in list(names) if manifest[n].get("labels")]
for n in sorted(set(names)):
    print(n)
EOF
}

build_models_deb() {
  local stage=$OUT/stage/proctord-models dir names=() deb
  rm -rf "$stage"
  dir=$stage/usr/share/proctord/models
  mkdir -p "$stage/DEBIAN" "$dir" "$stage/usr/share/doc/proctord-models"
  mapfile -t names < <(default_models)
  local mirror=${PROCTORD_MODEL_MIRROR:-}
  [[ -z $mirror && -d ../shared/models ]] && mirror=../shared/models
  log "models: ${names[*]} (sha256 checked by models/fetch.py${mirror:+, from $mirror})"
  python3 models/fetch.py --manifest models/manifest.toml --dest "$dir" --only "${names[@]}" \
    ${mirror:+--mirror "$mirror"} >&2 || die "a model could not be fetched or did not match its sha256"
  install -m 0644 models/manifest.toml "$dir/manifest.toml"
  chmod 0644 "$dir"/*
  python3 - models/manifest.toml "${names[@]}" >"$stage/usr/share/doc/proctord-models/copyright" <<EOF
import sys, tomllib
manifest = {m["name"]: m for m in tomllib.load(open(sys.argv[1], "rb"))["model"]}
print("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/")
print("Upstream-Name: proctord-models")
print("Comment: the models proctord's default config runs, each pinned by sha256 in")
print(" /usr/share/proctord/models/manifest.toml and checked before it is loaded.")
licences = set()
for name in sys.argv[2:]:
    m = manifest[name]
    licences.add(m["licence"])
    print()
    print(f"Files: usr/share/proctord/models/{m['file']}")
    print(f"Comment: {name} ({m['role']}), from {m['url']}")
    print(f" sha256 {m['sha256']}")
    print("Copyright: its upstream authors (see the URL above)")
    print(f"License: {m['licence']}")
for lic in sorted(licences):
    print()
    print(f"License: {lic}")
    print(f" On Debian systems the full text is in /usr/share/common-licenses/{lic}.")
EOF
  cat >"$stage/DEBIAN/control" <<EOF
Package: proctord-models
Version: $VERSION
Architecture: all
Maintainer: $MAINTAINER
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Enhances: proctord
Section: video
Priority: optional
Homepage: $HOMEPAGE
Description: models for proctord (face detection, face mesh, objects)
 The LiteRT models proctord's default configuration runs, with the manifest that
 pins each by sha256, so that a kiosk needs no network to start:
 ${names[*]}.
 Their licences: /usr/share/doc/proctord-models/copyright.
EOF
  deb=$OUT/proctord-models_${VERSION}_all.deb
  dpkg-deb --root-owner-group $(compression) --build "$stage" "$deb" >/dev/null
  rm -rf "$stage"
  log "wrote $deb ($(du -h "$deb" | cut -f1))"
  echo "$deb"
}

$build_proctord && build_proctord_deb
$build_models && build_models_deb
rmdir "$OUT/stage" 2>/dev/null || true
