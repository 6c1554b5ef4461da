SUMMARY = "proctord configuration for this board"
DESCRIPTION = "Installs /etc/proctord/proctord.toml: one of proctord's board \
               examples (config/examples/), chosen per MACHINE or with \
               PROCTORD_CONFIG, or the proctord.toml that a bbappend adds to SRC_URI."

require recipes-proctord/proctord/proctord-source.inc

inherit useradd

# The file depends on MACHINE (PROCTORD_CONFIG_DEFAULT overrides below).
PACKAGE_ARCH = "${MACHINE_ARCH}"

# Set PROCTORD_CONFIG in local.conf to pick another example, or ship your own file:
#   proctord-config.bbappend:
#     FILESEXTRAPATHS:prepend := "${THISDIR}/files:"
#     SRC_URI += "file://proctord.toml"
# The overrides are meta-raspberrypi's and meta-tegra's MACHINEOVERRIDES.
PROCTORD_CONFIG_DEFAULT = "pi5.toml"
# nooelint: oelint.vars.specific
PROCTORD_CONFIG_DEFAULT:raspberrypi4-64 = "pi4-cpu.toml"
# nooelint: oelint.vars.specific
PROCTORD_CONFIG_DEFAULT:raspberrypi5 = "pi5.toml"
# nooelint: oelint.vars.specific
PROCTORD_CONFIG_DEFAULT:tegra = "jetson.toml"
PROCTORD_CONFIG ?= "${PROCTORD_CONFIG_DEFAULT}"

do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_install() {
    if [ -f ${WORKDIR}/proctord.toml ]; then
        src=${WORKDIR}/proctord.toml
    else
        src=${S}/config/examples/${PROCTORD_CONFIG}
    fi
    [ -f "$src" ] || bbfatal "no config at $src (PROCTORD_CONFIG = ${PROCTORD_CONFIG})"
    install -d -m 0755 ${D}${sysconfdir}/proctord
    # It may hold the MQTT password: readable by root and the daemon's group only.
    install -m 0640 "$src" ${D}${sysconfdir}/proctord/proctord.toml
    chown root:proctord ${D}${sysconfdir}/proctord/proctord.toml
}

# The daemon's group (proctord's recipe creates the same user and group).
USERADD_PACKAGES = "${PN}"
GROUPADD_PARAM:${PN} = "--system proctord"

CONFFILES:${PN} = "${sysconfdir}/proctord/proctord.toml"
