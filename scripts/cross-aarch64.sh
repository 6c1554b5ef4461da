#!/usr/bin/env bash
# Cross-builds proctord for aarch64-unknown-linux-gnu (Raspberry Pi OS Bookworm 64-bit,
# JetPack 6) on a Debian 12 x86_64 host WITHOUT Docker, and smoke-tests the binary under
# qemu-user. This is the same build `cross build --target aarch64-unknown-linux-gnu`
# does with cross.toml, spelled out with Debian's packages:
#
#   - Debian's own Rust (rustc-web / cargo-web 1.96 from bookworm-security) with the
#     arm64 standard library (libstd-rust-web-dev:arm64); rustup cannot add targets here.
#     /usr/bin/cargo + RUSTC=/usr/bin/rustc, never the rustup toolchain.
#   - linker aarch64-linux-gnu-gcc, runner qemu-aarch64-static.
#     NO `-L /usr/aarch64-linux-gnu`: mixing that glibc with the sysroot's makes every
#     pthread_create spin forever.
#   - GStreamer's arm64 -dev packages cannot be co-installed with the amd64 ones, so they
#     are unpacked (apt-get download + dpkg -x) into an arm64 sysroot that pkg-config is
#     pointed at (PKG_CONFIG_SYSROOT_DIR / PKG_CONFIG_LIBDIR); the linker finds their
#     transitive libraries with -rpath-link. libc itself always comes from the cross
#     toolchain (libc6-dev-arm64-cross), never from the sysroot.
#   - bindgen (v4l2-sys) parses the arm64 kernel headers of the cross toolchain.
#
# Usage:
#   scripts/cross-aarch64.sh            install what is missing, build (release), test under qemu
#   scripts/cross-aarch64.sh --deps     only install packages and the sysroot
#   scripts/cross-aarch64.sh --no-deps  only build + smoke test
#
# Environment:
#   CARGO_TARGET_DIR  default ../cross-target next to the repository (outside it, so it
#                     never competes with target/ of the native build)
#   SYSROOT           default $CARGO_TARGET_DIR/sysroot-arm64
#   PROFILE           release (default) or dev
#
# Measured here (Debian 12 x86_64, 2 cores shared with other builds, nice 19, cold target dir,
# Debian rustc/cargo 1.96.0), 2026-11-21:
#   --deps   2 min 08 s: dpkg --add-architecture arm64 + apt (cross gcc 12, qemu-user-static
#            7.2, rustc-web/cargo-web 1.96 + libstd-rust-web-dev:arm64) + 136 arm64 .debs
#            of the GStreamer/GLib closure unpacked into the sysroot
#   build    30 min 04 s wall (19 min 52 s CPU), release profile (thin LTO), the whole dependency tree
#            incl. aws-lc-sys, ring and bindgen'd v4l2-sys built for aarch64
#   binary   proctord: ELF 64-bit aarch64 PIE, 69,105,528 bytes (66 MiB, line tables kept
#            by [profile.release] debug); 10,163,632 bytes (9.7 MiB) after
#            aarch64-linux-gnu-strip
#   2026-12-02, the packaged route (`make deb` = this build + scripts/deb.sh --arch arm64):
#            release rebuild of proctord with its new dependencies (utoipa) 15 min 06 s at
#            nice 19 beside a CI run; binary 83 MiB, 16 MiB stripped in
#            proctord_0.1.0_arm64.deb (6.0 MB), which `scripts/deb-test.sh --arm64` passes
#            (files, Architecture, Depends, LiteRT arm64 pin, `--version` under qemu)
#   qemu     `proctord --help` and `check-config` run under qemu-aarch64-static.
#            Inference under qemu-user needs two tricks (qemu 7.2 shows the HOST's x86
#            /proc/cpuinfo, on which XNNPACK's cpuinfo crashes): bind-mount an arm64
#            cpuinfo and use one thread:
#              unshare -m sh -c 'mount --bind CPUINFO_A72 /proc/cpuinfo &&
#                QEMU_CPU=cortex-a72 qemu-aarch64-static .../proctord detect \
#                  --config CFG_WITH_threads=1_AND_THE_AARCH64_libLiteRt.so --input obama.jpg --json'
#            gives the same detections as x86_64 (face 0.8565, person 0.6875); qemu then
#            reports SIGSEGV at process exit after LiteRT's teardown, and with 2 threads
#            it did not finish in 5 min. Both look like qemu-user artefacts: confirm on a Pi.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

mode=all
case "${1:-}" in
  --deps) mode=deps ;;
  --no-deps) mode=build ;;
  "") ;;
  *) echo "usage: $0 [--deps|--no-deps]" >&2; exit 2 ;;
esac

TARGET=aarch64-unknown-linux-gnu
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$(cd "$repo/.." && pwd)/cross-target}
SYSROOT=${SYSROOT:-$CARGO_TARGET_DIR/sysroot-arm64}
PROFILE=${PROFILE:-release}

HOST_PACKAGES=(
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static
  rustc-web cargo-web libstd-rust-web-dev:arm64
  libclang-dev pkg-config
)
# What proctord links (gstreamer, -app, -video, -pbutils, glib/gobject). Their whole
# arm64 library closure is unpacked into the sysroot.
SYSROOT_ROOTS=(libgstreamer1.0-dev:arm64 libgstreamer-plugins-base1.0-dev:arm64)

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
log() { echo "cross-aarch64: $*" >&2; }

install_host_packages() {
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    log "adding the arm64 architecture to dpkg"
    as_root dpkg --add-architecture arm64
    as_root apt-get update -qq
  fi
  local missing=()
  for p in "${HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    # Index of arm64 may be missing when the architecture was added by someone else.
    apt-cache show libstd-rust-web-dev:arm64 >/dev/null 2>&1 || as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# The arm64 library closure of SYSROOT_ROOTS: only lib* packages (headers, .pc files,
# shared libraries); no libc (the cross toolchain's), no tools, no python.
make_sysroot() {
  if [[ -f $SYSROOT/.complete ]]; then return; fi
  log "building the arm64 sysroot in $SYSROOT"
  local dl=$CARGO_TARGET_DIR/debs-arm64
  mkdir -p "$dl" "$SYSROOT"
  local pkgs
  pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
           --no-replaces --no-enhances --no-pre-depends "${SYSROOT_ROOTS[@]}" 2>/dev/null \
         | sed -n 's/^\([^ <>]*\):arm64$/\1/p; s/^  Depends: \([^ <>]*\):arm64$/\1/p' \
         | grep -E '^(lib.*|zlib1g.*|uuid-dev)$' \
         | grep -Ev '^(libc6|libc6-dev|libc-dev-bin|libgcc-s1|libgcc-.*-dev|libstdc\+\+6|libstdc\+\+-.*-dev|libcrypt1|libcrypt-dev|libnsl.*|libtirpc.*|linux-libc-dev|libpython.*)$' \
         | sort -u)
  local todo=() p
  for p in $pkgs; do compgen -G "$dl/${p}_*_arm64.deb" >/dev/null || todo+=("$p"); done
  pkgs=${todo[*]}
  log "downloading ${#todo[@]} arm64 packages"
  [[ -z $pkgs ]] || (cd "$dl" && apt-get download -qq -o APT::Sandbox::User=root $(printf '%s:arm64 ' $pkgs))
  for deb in "$dl"/*.deb; do dpkg -x "$deb" "$SYSROOT"; done
  # Absolute symlinks inside the sysroot (lib*.so -> /lib/...) must point into it.
  find "$SYSROOT" -type l -lname '/*' | while read -r l; do
    t=$(readlink "$l"); [[ $t == "$SYSROOT"/* ]] || ln -sfn "$SYSROOT$t" "$l"
  done
  touch "$SYSROOT/.complete"
}

build() {
  [[ -x /usr/bin/cargo && -x /usr/bin/rustc ]] || { log "Debian's cargo/rustc are missing: run $0 --deps"; exit 1; }
  [[ -f $SYSROOT/.complete ]] || { log "no sysroot in $SYSROOT: run $0 --deps"; exit 1; }
  local multiarch=$SYSROOT/usr/lib/aarch64-linux-gnu
  export RUSTC=/usr/bin/rustc
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=qemu-aarch64-static
  # Transitive DT_NEEDED of libgstreamer/libglib (libffi, libpcre2, liborc, ...).
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C link-arg=-Wl,-rpath-link,$multiarch -C link-arg=-Wl,-rpath-link,$SYSROOT/lib/aarch64-linux-gnu"
  export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
  export CXX_aarch64_unknown_linux_gnu=aarch64-linux-gnu-g++
  export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
  export PKG_CONFIG_ALLOW_CROSS=1
  export PKG_CONFIG_SYSROOT_DIR=$SYSROOT
  export PKG_CONFIG_LIBDIR=$multiarch/pkgconfig:$SYSROOT/usr/share/pkgconfig
  export PKG_CONFIG_PATH=
  export BINDGEN_EXTRA_CLANG_ARGS_aarch64_unknown_linux_gnu="--target=aarch64-linux-gnu --sysroot=/usr/aarch64-linux-gnu"
  local t0=$SECONDS
  log "building proctord ($PROFILE) for $TARGET into $CARGO_TARGET_DIR with $(/usr/bin/cargo --version)"
  nice -n 19 /usr/bin/cargo build --locked -p proctord --bin proctord --target $TARGET --profile "$PROFILE"
  local dir=$PROFILE; [[ $PROFILE == dev ]] && dir=debug
  local bin=$CARGO_TARGET_DIR/$TARGET/$dir/proctord
  log "built in $((SECONDS - t0)) s: $(du -h "$bin" | cut -f1) $(file -b "$bin" | cut -d, -f1-2)"
  # The smoke test: the arm64 binary starts under qemu with the sysroot's GStreamer.
  # GST_REGISTRY_FORK=no: GStreamer scans its plugins in a forked child, and a process
  # forked from a threaded one spins forever under qemu-user (check-config hung 10 min).
  QEMU_LD_PREFIX=/usr/aarch64-linux-gnu LD_LIBRARY_PATH=$multiarch:$SYSROOT/lib/aarch64-linux-gnu \
    qemu-aarch64-static "$bin" --help >/dev/null
  QEMU_LD_PREFIX=/usr/aarch64-linux-gnu LD_LIBRARY_PATH=$multiarch:$SYSROOT/lib/aarch64-linux-gnu \
    GST_REGISTRY_FORK=no timeout 300 qemu-aarch64-static "$bin" check-config --config config/proctord.toml
  log "ok: $bin runs under qemu-aarch64-static"
}

case $mode in
  deps) install_host_packages; make_sysroot ;;
  build) build ;;
  all) install_host_packages; make_sysroot; build ;;
esac
