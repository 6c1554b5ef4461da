SUMMARY = "Exam-kiosk proctoring daemon"
DESCRIPTION = "proctord reads a V4L2 camera, runs LiteRT face and object models, \
               turns what it sees into proctoring events kept in sled and published \
               over MQTT, records H.264 through GStreamer and serves a local status \
               page. Runs as the unprivileged proctord user under a hardened systemd \
               unit with a watchdog."

require proctord-source.inc
require proctord-crates.inc

DEPENDS += "clang-native gstreamer1.0 gstreamer1.0-plugins-base"

inherit cargo pkgconfig systemd useradd

# LiteRT ships prebuilt for aarch64 and x86_64 only (litert-runtime).
COMPATIBLE_HOST = "(aarch64|x86_64).*-linux"

# The workspace's root manifest; build only the daemon binary.
CARGO_BUILD_FLAGS:append = " -p proctord --bin proctord"

# bindgen (v4l2-sys-mit) parses the target's videodev2.h with the native libclang.
export LIBCLANG_PATH = "${STAGING_LIBDIR_NATIVE}"
export BINDGEN_EXTRA_CLANG_ARGS = "--sysroot=${STAGING_DIR_TARGET} ${TUNE_CCARGS}"

# The workspace uses edition 2024 and its Cargo.lock is resolved for Rust 1.95: skip
# the recipe with a clear reason on an older toolchain instead of failing in do_compile.
# nooelint: oelint.task.noanonpython
python () {
    rustver = (d.getVar('RUSTVERSION') or '').rstrip('%')
    if rustver and bb.utils.vercmp_string_op(rustver, '1.95', '<'):
        raise bb.parse.SkipRecipe("proctord needs Rust >= 1.95, this build has %s; "
                                  "add meta-lts-mixins (scarthgap/rust) or meta-rust-bin" % rustver)
}

do_install() {
    install -D -m 0755 ${B}/target/${CARGO_TARGET_SUBDIR}/proctord ${D}${bindir}/proctord

    install -D -m 0644 ${S}/systemd/proctord.service ${D}${systemd_system_unitdir}/proctord.service
    sed -i -e 's,/usr/bin/proctord,${bindir}/proctord,g' \
           -e 's,/etc/proctord/,${sysconfdir}/proctord/,g' \
           -e 's,/var/lib/proctord,${localstatedir}/lib/proctord,g' \
           ${D}${systemd_system_unitdir}/proctord.service
    install -D -m 0644 ${S}/systemd/sysusers.d/proctord.conf ${D}${nonarch_libdir}/sysusers.d/proctord.conf
    install -D -m 0644 ${S}/systemd/proctord.service.d/accelerators.conf.example \
        ${D}${docdir}/${BPN}/accelerators.conf.example

    # The manifest lists every model with its sha256; proctord-models installs the files.
    install -D -m 0644 ${S}/models/manifest.toml ${D}${datadir}/proctord/models/manifest.toml
}

SYSTEMD_SERVICE:${PN} = "proctord.service"
SYSTEMD_AUTO_ENABLE:${PN} = "enable"

# Same account as systemd/sysusers.d/proctord.conf, created at rootfs time so a
# read-only rootfs has it too.
USERADD_PACKAGES = "${PN}"
USERADD_PARAM:${PN} = "--system --home-dir ${localstatedir}/lib/proctord --no-create-home \
                       --shell ${base_sbindir}/nologin --user-group proctord"

FILES:${PN} += "${nonarch_libdir}/sysusers.d/proctord.conf"

# GStreamer elements proctord uses: appsrc/appsink, videoconvert/videoscale, decodebin
# and typefind (video files), jpegdec (MJPEG cameras), v4l2src + v4l2h264enc
# (video4linux2), h264parse, mp4mux/qtdemux (isomp4), splitmuxsink (multifile),
# mpegtsmux.
PROCTORD_GST_PLUGINS ?= "gstreamer1.0-plugins-bad-mpegtsmux \
                         gstreamer1.0-plugins-bad-videoparsersbad \
                         gstreamer1.0-plugins-base-app \
                         gstreamer1.0-plugins-base-playback \
                         gstreamer1.0-plugins-base-typefindfunctions \
                         gstreamer1.0-plugins-base-videoconvertscale \
                         gstreamer1.0-plugins-good-isomp4 \
                         gstreamer1.0-plugins-good-jpeg \
                         gstreamer1.0-plugins-good-multifile \
                         gstreamer1.0-plugins-good-video4linux2"

# The H.264 encoder. x264 (plugins-ugly, LICENSE_FLAGS "commercial": accept it in
# local.conf) where the board has no hardware encoder (Pi 5, Jetson Orin Nano); the
# Pi 4's v4l2h264enc comes with plugins-good-video4linux2 above; on Jetson, meta-tegra's
# gstreamer1.0-plugins-nvvideo4linux2 provides nvv4l2h264enc. The overrides are
# meta-raspberrypi's and meta-tegra's MACHINEOVERRIDES.
PROCTORD_H264_ENCODER ?= "gstreamer1.0-plugins-ugly-x264"
# nooelint: oelint.vars.specific
PROCTORD_H264_ENCODER:raspberrypi4-64 ?= ""
# nooelint: oelint.vars.specific
PROCTORD_H264_ENCODER:tegra ?= "gstreamer1.0-plugins-nvvideo4linux2 gstreamer1.0-plugins-ugly-x264"

RDEPENDS:${PN} = "${PROCTORD_GST_PLUGINS} \
                  ${PROCTORD_H264_ENCODER} \
                  litert-runtime \
                  proctord-config \
                  proctord-models"
