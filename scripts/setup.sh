#!/usr/bin/env bash
# Installs what vpcie's tests use as outside oracles, once: pciutils (lspci
# decodes our config dumps), acpica-tools (iasl decodes our ACPI tables),
# QEMU (the Q35 oracle). Debian/Ubuntu; needs root. Idempotent and quiet
# when everything is there already.
set -euo pipefail

need=()
command -v lspci >/dev/null 2>&1 || need+=(pciutils)
command -v iasl >/dev/null 2>&1 || need+=(acpica-tools)
command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
command -v busybox >/dev/null 2>&1 || need+=(busybox-static)
command -v cpio >/dev/null 2>&1 || need+=(cpio)

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing ${need[*]}; run as root (or install them yourself)" >&2
    exit 1
fi
echo "setup: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
