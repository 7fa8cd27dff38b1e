#!/usr/bin/env bash
# Installs the Debian packages given as arguments if any is missing (needs root), and checks
# that the Swift toolchain is there. Safe to run again: it does nothing when all is installed.
set -euo pipefail
missing=()
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
    if [[ $EUID -ne 0 ]]; then
        echo "missing Debian packages: ${missing[*]} — run as root or: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! command -v swift >/dev/null 2>&1; then
    echo "the Swift 6 toolchain was not found (expected at /opt/swift/usr/bin): install it from swift.org" >&2
    exit 1
fi
