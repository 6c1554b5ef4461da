SUMMARY = "LiteRT (TensorFlow Lite) runtime library, Google's prebuilt build"
DESCRIPTION = "libLiteRt.so from the ai-edge-litert wheel on PyPI, pinned to \
               2.3.0 and checked against its sha256. proctord loads it at run time \
               from /usr/lib/proctord and refuses any other build. The WebGPU \
               (Vulkan) accelerator is in litert-runtime-webgpu."
HOMEPAGE = "https://ai.google.dev/edge/litert"
BUGTRACKER = "https://github.com/google-ai-edge/LiteRT/issues"
SECTION = "libs"
LICENSE = "Apache-2.0"
LIC_FILES_CHKSUM = "file://ai_edge_litert-${PV}.dist-info/licenses/LICENSE;md5=86d3f3a95c324c9479bd8986968f4327"

# Prebuilt for these only (no armv7 build; aarch64 needs glibc >= 2.34).
COMPATIBLE_HOST = "(aarch64|x86_64).*-linux"

PYPI_FILES = "https://files.pythonhosted.org/packages"
SRC_URI:aarch64 = "${PYPI_FILES}/33/68/446c2685f5752eef7891dc8a43ca27bd393461ea0caac7c413587c2f4535/ai_edge_litert-${PV}-cp311-cp311-manylinux_2_27_aarch64.whl;name=aarch64;downloadfilename=ai_edge_litert-${PV}-aarch64.zip;subdir=${BP}"
SRC_URI:x86-64 = "${PYPI_FILES}/65/da/254ec1df4f28ae0d03c410921053b570b116bd917dd64c296bdcc4b5192b/ai_edge_litert-${PV}-cp311-cp311-manylinux_2_27_x86_64.whl;name=x86_64;downloadfilename=ai_edge_litert-${PV}-x86_64.zip;subdir=${BP}"
SRC_URI[aarch64.sha256sum] = "853fc608f96da87bd5f3458465dfb9abbf18d5ae6b94eceacead407146f175ae"
SRC_URI[x86_64.sha256sum] = "1f15078a6725d2357d9de9221664c29afa0545d807559c5f7199ce5e40b96b23"

# sha256 of the libraries inside the wheels; proctord pins the same libLiteRt.so values.
LITERT_SHA256:aarch64 = "b57687dc234d2b8b0598aef5a9c961ed24263df8f8b3f56adbee1cff618e544b"
LITERT_SHA256:x86-64 = "eec47eb35e2924b3166015887e652a58edc9af823ae38e02bf83bef2548300bb"
LITERT_WEBGPU_SHA256:aarch64 = "5f271fa4a36f9dd8d1f8514971b2e80f46bd92b1066509cdd9c0716723d6091a"
LITERT_WEBGPU_SHA256:x86-64 = "b67f193ae6eb8ad3a15349f54aba696c97d6f981c92bc2eb1096cbe9e2835b25"

S = "${WORKDIR}/${BP}"

# The wheel is a zip; its URL does not end in .zip, so ask for unzip explicitly.
do_unpack[depends] += "unzip-native:do_populate_sysroot"

do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_install() {
    echo "${LITERT_SHA256}  ${S}/ai_edge_litert/libLiteRt.so" | sha256sum -c - \
        || bbfatal "libLiteRt.so does not match the pinned sha256 ${LITERT_SHA256}"
    echo "${LITERT_WEBGPU_SHA256}  ${S}/ai_edge_litert/libLiteRtWebGpuAccelerator.so" | sha256sum -c - \
        || bbfatal "libLiteRtWebGpuAccelerator.so does not match the pinned sha256"
    install -D -m 0755 ${S}/ai_edge_litert/libLiteRt.so ${D}${libdir}/proctord/libLiteRt.so
    # LiteRT dlopen()s its accelerators by name: it has to be on the default search path.
    install -D -m 0755 ${S}/ai_edge_litert/libLiteRtWebGpuAccelerator.so ${D}${libdir}/libLiteRtWebGpuAccelerator.so
}

# proctord checks the library's sha256 at start: never strip or split it. (With both
# set, do_package skips the already-stripped check of Google's stripped builds.)
INHIBIT_PACKAGE_STRIP = "1"
INHIBIT_PACKAGE_DEBUG_SPLIT = "1"
INHIBIT_SYSROOT_STRIP = "1"

PACKAGES =+ "${PN}-webgpu"
FILES:${PN} += "${libdir}/proctord/libLiteRt.so"
FILES:${PN}-webgpu += "${libdir}/libLiteRtWebGpuAccelerator.so"
RDEPENDS:${PN}-webgpu = "${PN} vulkan-loader"

# Loaded with dlopen, never linked against: keep them out of shlib resolution.
# nooelint: oelint.vars.mispell.unknown
PRIVATE_LIBS:${PN} = "libLiteRt.so"
# nooelint: oelint.vars.mispell.unknown
PRIVATE_LIBS:${PN}-webgpu = "libLiteRtWebGpuAccelerator.so"

CVE_PRODUCT = "google:litert"
