#!/bin/bash
# make deb: the .deb from packaging/debian. The binary is a static-stdlib release build (only glibc and the
# Debian C libraries stay dynamic, so dh_shlibdeps names exactly those packages), stripped; PID 1 of the
# sandboxes is the tiny static init. dpkg-buildpackage then lays out the package and lintian checks it.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-/opt/swift/usr/bin/swift}
TINY_INIT=${TINY_INIT:?run through make deb, which passes the init compiler command}
VERSION=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
SCRATCH=.build-deb
STAGE=$SCRATCH/stage/paastech-$VERSION
OUT=${OUT:-dist}

"$SWIFT" build -c release --static-swift-stdlib --product paastech --scratch-path "$SCRATCH"
BIN=$("$SWIFT" build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --show-bin-path)

rm -rf "$SCRATCH/stage" && mkdir -p "$STAGE/bin" "$STAGE/completion" "$STAGE/etc"
install -m 0755 "$BIN/paastech" "$STAGE/bin/paastech"
strip --strip-unneeded "$STAGE/bin/paastech"
# The tiny init's compiler command comes from the Makefile (TINY_INIT), the one place it is declared.
$TINY_INIT "$STAGE/bin/paastech-init" Sources/paastech-init/init.c
"$STAGE/bin/paastech" --generate-completion-script bash | sed "1{/^#!/d}" > "$STAGE/completion/paastech"
cp -r packaging/debian packaging/man units "$STAGE/"
cp etc/paastech.toml "$STAGE/etc/"

(cd "$STAGE" && dpkg-buildpackage -b -us -uc --no-pre-clean)
mkdir -p "$OUT"
mv "$SCRATCH/stage/paastech_${VERSION}_amd64.deb" "$OUT/"
rm -f "$SCRATCH/stage"/*.buildinfo "$SCRATCH/stage"/*.changes
echo "built $OUT/paastech_${VERSION}_amd64.deb ($(du -h "$OUT/paastech_${VERSION}_amd64.deb" | cut -f1))"
lintian --fail-on error "$OUT/paastech_${VERSION}_amd64.deb"
echo "lintian: no errors"
