#!/bin/bash
# make e2e: the .deb in a real systemd. A Debian 12 root (debootstrap, kept in .build-e2e between runs) is
# booted with systemd-nspawn -b; the package is installed with apt (dependencies from the Debian archive);
# then every unit must be active, the API healthy, the edge must redirect on 80 and serve the console over
# HTTP/2 on 443, and restarting each service must keep it working. The container shares the host's
# network, so ports 80, 443, 8081, 8082 and 2222 must be free. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
DEB=${1:?usage: scripts/e2e.sh dist/paastech_<version>_amd64.deb}
ROOT=${E2E_ROOT:-$PWD/.build-e2e/root}
MIRROR=${E2E_MIRROR:-http://deb.debian.org/debian}
step() { printf '\n==> %s\n' "$*"; }

for port in 80 443 8081 8082 2222; do
    if ss -ltnH "sport = :$port" | grep -q .; then echo "port $port is in use on this host: the container shares its network"; exit 1; fi
done
if [ ! -x "$ROOT/lib/systemd/systemd" ]; then
    step "debootstrap Debian 12 into $ROOT"
    rm -rf "$ROOT"; mkdir -p "$(dirname "$ROOT")"
    debootstrap --include=systemd,systemd-sysv,dbus,ca-certificates,curl bookworm "$ROOT" "$MIRROR" >/dev/null
fi
cp /etc/apt/sources.list.d/debian.sources "$ROOT/etc/apt/sources.list.d/" 2>/dev/null || true
echo e2e > "$ROOT/etc/hostname"
cp "$DEB" "$ROOT/root/paastech.deb"

step "boot it with systemd-nspawn -b"
systemd-nspawn -D "$ROOT" -b --machine=paastech-e2e --register=no --keep-unit --capability=all >"$ROOT/../nspawn.log" 2>&1 &
NSPAWN=$!
cleanup() { kill -9 "$NSPAWN" 2>/dev/null; [ -n "${INIT:-}" ] && kill -9 "$INIT" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 100); do INIT=$(pgrep -P "$NSPAWN" -x systemd || true); [ -n "$INIT" ] && break; sleep 0.2; done
inside() { nsenter -t "$INIT" -a /bin/bash -c "$1"; }
for _ in $(seq 60); do state=$(inside 'systemctl is-system-running' 2>/dev/null || true); [ "$state" = running ] || [ "$state" = degraded ] && break; sleep 0.5; done
echo "booted: $state"

step "apt install the package"
inside 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq /root/paastech.deb' >"$ROOT/../install.log" 2>&1 \
    || { tail -30 "$ROOT/../install.log"; exit 1; }
grep -E "administrator|migrat" "$ROOT/../install.log" || true

UNITS="pomegranate paastech-api paastech-web paastech-gitd paastech-repo-manager paastech-edge"
check() {
    for _ in $(seq 30); do
        curl -sf -m 5 http://127.0.0.1:8081/v1/health >/dev/null && break; sleep 0.5
    done
    curl -sf -m 5 http://127.0.0.1:8081/v1/health
    echo
    [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H 'Host: console.paastech.localhost' http://127.0.0.1/)" = 308 ]
    [ "$(curl -sk -m 10 -o /dev/null -w '%{http_code} %{http_version}' --resolve console.paastech.localhost:443:127.0.0.1 \
         https://console.paastech.localhost/login)" = "200 2" ]
    echo "edge: 308 on port 80, 200 over HTTP/2 on 443"
    for unit in $UNITS; do inside "systemctl is-active --quiet $unit" || { inside "journalctl -u $unit -n 20 --no-pager"; exit 1; }; done
    echo "active: $UNITS"
}

step "the platform serves"
check
[ -s "$ROOT/etc/paastech/initial-admin-password" ] && echo "initial admin password: $(stat -c %a "$ROOT/etc/paastech/initial-admin-password") root-only file"

step "systemctl restart of each service"
for unit in $UNITS; do inside "systemctl restart $unit"; done
check

step "systemd-analyze security"
inside 'systemd-analyze security --no-pager' | grep -E "paastech|pomegranate"

step "apt install again (upgrade path): data and services kept"
inside 'export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq --reinstall /root/paastech.deb' >"$ROOT/../reinstall.log" 2>&1
check
echo; echo "e2e: passed"
