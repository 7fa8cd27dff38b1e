#!/bin/bash
# make e2e: the .deb in a real systemd. A Debian 12 root (debootstrap, kept in .build-e2e between runs) is
# booted with systemd-nspawn -b; the package is installed with apt (dependencies from the Debian archive);
# then every unit must be active, the API healthy, the edge must redirect on 80 and serve the console over
# HTTP/2 on 443, and restarting each service must keep it working. A user signs up through the API and
# pushes examples/python-hello with the real ssh and git clients; the app must answer by host name through
# the edge on 80 (308) and 443, with a certificate from an ACME server (Debian's pebble on this host), its
# lines must be in `journalctl -u pomegranate` with their fields, a restart of pomegranate or of the edge
# must not fail one request of a client polling every 20 ms, three more pushes must leave only the builds
# releases_kept asks for (pomegranate deletes the others), and `apt remove` then `apt install` must keep
# the user, the project and the app; `paastech backup` and `restore` work as root;
# `apt purge` deletes the data only when /var/lib/paastech/PURGE-DELETES-ALL-DATA exists. The container
# shares the host's network, so ports 80, 443, 8081, 8082, 2222 and pebble's must be free. Needs root.
#
# `scripts/e2e.sh --can-run` only checks that this machine allows it (`make test` runs it then): it prints
# why not and exits 1, or exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
# The platform's ports, and those of the ACME server (pebble) the edge gets its certificates from.
ACME_PORT=14300
ACME_MANAGEMENT_PORT=15300
PORTS="80 443 8081 8082 2222 $ACME_PORT $ACME_MANAGEMENT_PORT"
MIRROR=${E2E_MIRROR:-http://deb.debian.org/debian}
if [ "${1:-}" = --can-run ]; then
    [ "$(id -u)" = 0 ] || { echo "it needs root (a container, cgroups, the host's network)"; exit 1; }
    for port in $PORTS; do
        if ss -ltnH "sport = :$port" | grep -q .; then echo "port $port is in use (the container shares the host's network)"; exit 1; fi
    done
    [ -x "${E2E_BASE:-$PWD/.build-e2e/base}/lib/systemd/systemd" ] || curl -sf -m 20 -o /dev/null "$MIRROR/dists/bookworm/Release" \
        || { echo "the Debian archive ($MIRROR) is out of reach, for debootstrap"; exit 1; }
    exit 0
fi
DEB=${1:?usage: scripts/e2e.sh dist/paastech_<version>_amd64.deb}
# A pristine debootstrap is kept in base/ between runs; each run boots a fresh copy of it (root/), so
# every run is a first install.
BASE=${E2E_BASE:-$PWD/.build-e2e/base}
ROOT=$(dirname "$BASE")/root
step() { printf '\n==> %s\n' "$*"; }

for port in $PORTS; do
    if ss -ltnH "sport = :$port" | grep -q .; then echo "port $port is in use on this host: the container shares its network"; exit 1; fi
done
if [ ! -x "$BASE/lib/systemd/systemd" ]; then
    step "debootstrap Debian 12 into $BASE"
    rm -rf "$BASE"; mkdir -p "$(dirname "$BASE")"
    debootstrap --include=systemd,systemd-sysv,dbus,ca-certificates,curl bookworm "$BASE.partial" "$MIRROR" >/dev/null
    mv "$BASE.partial" "$BASE"
fi
rm -rf "$ROOT" && cp -a "$BASE" "$ROOT"
cp /etc/apt/sources.list.d/debian.sources "$ROOT/etc/apt/sources.list.d/" 2>/dev/null || true
echo e2e > "$ROOT/etc/hostname"
cp "$DEB" "$ROOT/root/paastech.deb"

step "an ACME server for the edge: Debian's pebble on 127.0.0.1:$ACME_PORT (it deems every challenge valid)"
ACME=$(dirname "$ROOT")/pebble
rm -rf "$ACME" && mkdir -p "$ACME" "$ROOT/etc/paastech"
# pebble's own HTTPS listener: a certificate for 127.0.0.1 from a root of this run, which the edge trusts.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=e2e-acme-listener-root \
    -keyout "$ACME/root.key" -out "$ACME/root.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost \
    -keyout "$ACME/key.pem" -out "$ACME/listener.csr" 2>/dev/null
openssl x509 -req -in "$ACME/listener.csr" -CA "$ACME/root.pem" -CAkey "$ACME/root.key" -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n') \
    -out "$ACME/cert.pem" 2>/dev/null
cat > "$ACME/config.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$ACME_PORT", "managementListenAddress": "127.0.0.1:$ACME_MANAGEMENT_PORT",
            "certificate": "$ACME/cert.pem", "privateKey": "$ACME/key.pem", "httpPort": 5002, "tlsPort": 5001,
            "ocspResponderURL": "", "externalAccountBindingRequired": false}}
JSON
PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 pebble -config "$ACME/config.json" >"$ACME/pebble.log" 2>&1 &
PEBBLE=$!
cp "$ACME/root.pem" "$ROOT/etc/paastech/e2e-acme-listener-root.pem"
for _ in $(seq 60); do curl -sf -m 2 --cacert "$ACME/root.pem" -o /dev/null "https://127.0.0.1:$ACME_PORT/dir" && break; sleep 0.5; done
curl -sf -m 5 --cacert "$ACME/root.pem" "https://127.0.0.1:$ACME_MANAGEMENT_PORT/roots/0" > "$ACME/issuing-root.pem"
echo "pebble answers; its issuing root is $ACME/issuing-root.pem"

# The container shares the host's network, so its sandboxes get names and a subnet of their own (and the
# host's tests or a dev platform are not disturbed); mail goes to a spool directory the test reads; apps
# are served under a name the ACME server issues for. An administrator's file put there before the
# install is kept (a conffile: --force-confold).
cat > "$ROOT/etc/paastech/paastech.toml" <<TOML
[platform]
apps_domain = "apps.e2e.test"
# The pruning step: builds beyond the newest one go (besides the serving one and the one before it).
releases_kept = 1

[edge]
acme_directory = "https://127.0.0.1:$ACME_PORT/dir"
acme_ca_file = "/etc/paastech/e2e-acme-listener-root.pem"
acme_email = "ops@e2e.test"

[mail]
spool_dir = "/var/lib/paastech/mail"

[pomegranate]
bridge = "ptech2e0"
subnet = "10.83.0.0/16"
firewall_table = "paastech_e2e"
cgroup_subtree = "paastech-e2e"
TOML

step "boot it with systemd-nspawn -b"
# nspawn's own seccomp filter lacks pidfd_getfd, which pomegranate needs to take over its instances' output
# pipes when it restarts (live restore); allow it.
systemd-nspawn -D "$ROOT" -b --machine=paastech-e2e --register=no --keep-unit --capability=all --system-call-filter=pidfd_getfd \
    >"$ROOT/../nspawn.log" 2>&1 &
NSPAWN=$!
# Killing the container's init ends every process in it, the sandboxes too; what they leave in the shared
# kernel (the bridge, the firewall table, empty cgroups) goes with them.
cleanup() {
    kill -9 "$NSPAWN" "${PEBBLE:-}" 2>/dev/null; [ -n "${INIT:-}" ] && kill -9 "$INIT" 2>/dev/null; wait 2>/dev/null || true
    ip link del ptech2e0 2>/dev/null || true
    nft delete table inet paastech_e2e 2>/dev/null || true
    find /sys/fs/cgroup -depth -type d -path '*/paastech-e2e*' -exec rmdir {} + 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 100); do INIT=$(pgrep -P "$NSPAWN" -x systemd || true); [ -n "$INIT" ] && break; sleep 0.2; done
inside() { nsenter -t "$INIT" -a /bin/bash -c "$1"; }
for _ in $(seq 60); do state=$(inside 'systemctl is-system-running' 2>/dev/null || true); [ "$state" = running ] || [ "$state" = degraded ] && break; sleep 0.5; done
echo "booted: $state"
# On a cgroup v1 (hybrid) host nspawn mounts the controllers read-only in the container, so its systemd
# cannot delegate memory, cpu and pids to pomegranate; make them writable in the container's mount
# namespace (below its own cgroup namespace root). A cgroup v2 host delegates a writable subtree as is.
if [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ]; then
    for hierarchy in $(inside "findmnt -rn -t cgroup -o TARGET"); do
        nsenter -t "$INIT" -m mount -o remount,bind,rw "$hierarchy"
    done
    echo "cgroup v1 host: the controllers made writable in the container"
fi

step "apt install the package"
# python3 only for the example app: the sandboxes see the host's /usr.
inside 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq -o Dpkg::Options::=--force-confold /root/paastech.deb python3' >"$ROOT/../install.log" 2>&1 \
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

step "a user signs up through the API and pushes the Python example with ssh and git"
# The API's unit may write /var/lib/paastech/mail once it exists.
inside 'install -d -m 0750 -o paastech -g paastech /var/lib/paastech/mail && systemctl restart paastech-api'
WORK=$(mktemp -d); trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'echo "failed at line $LINENO; the last journal lines:"; inside "journalctl -n 60 --no-pager -u pomegranate -u paastech-\*"' ERR
API=http://127.0.0.1:8081/v1
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
api() { local method=$1 path=$2 body=${3:-}; shift 3 || true
    curl -sS -m 20 -X "$method" "$API$path" -H 'Content-Type: application/json' ${TOKEN:+-H "Authorization: Bearer $TOKEN"} \
         ${body:+-d "$body"} -w '\n%{http_code}' "$@"; }
expect_status() { local want=$1 answer; answer=$(cat); [ "${answer##*$'\n'}" = "$want" ] || { echo "expected $want, got: $answer"; exit 1; }
    printf '%s' "${answer%$'\n'*}"; }
for _ in $(seq 30); do curl -sf -m 5 "$API/health" >/dev/null && break; sleep 0.5; done
PASSWORD='e2e correct horse battery staple'
api POST /auth/signup "{\"username\":\"alice\",\"email\":\"alice@example.com\",\"password\":\"$PASSWORD\"}" | expect_status 201 >/dev/null
MAIL=$(ls -t "$ROOT"/var/lib/paastech/mail/*.eml | head -1)
VERIFY_TOKEN=$(grep -o 'token=[A-Za-z0-9_-]*' "$MAIL" | head -1 | cut -d= -f2)
api POST /auth/verify-email "{\"token\":\"$VERIFY_TOKEN\"}" | expect_status 200 >/dev/null
TOKEN=$(api POST /auth/login "{\"login\":\"alice\",\"password\":\"$PASSWORD\"}" | expect_status 200 | json '["token"]')
ssh-keygen -q -t ed25519 -N '' -C alice@e2e -f "$WORK/id"
api POST /ssh-keys "{\"key\":\"$(cat "$WORK/id.pub")\"}" | expect_status 201 >/dev/null
api POST /projects '{"name":"hello"}' | expect_status 201 >/dev/null
echo "alice signed up (verified through the mail spool), added an ed25519 key and created the project hello"
cp -r examples/python-hello "$WORK/app"
git -C "$WORK/app" init -q -b main && git -C "$WORK/app" add -A &&
    git -C "$WORK/app" -c user.name=alice -c user.email=alice@example.com commit -qm "first"
export GIT_SSH_COMMAND="ssh -i $WORK/id -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$WORK/known_hosts -o LogLevel=ERROR"
git -C "$WORK/app" push ssh://git@127.0.0.1:2222/alice/hello.git main >"$WORK/push.log" 2>&1 || { cat "$WORK/push.log"; exit 1; }
grep -E "^remote: -----> " "$WORK/push.log"
grep -q "^remote: -----> Live at " "$WORK/push.log" || { cat "$WORK/push.log"; exit 1; }

step "the app answers through the edge by host name on port 80 (308) and 443, with a certificate from the ACME server"
HOST=hello.apps.e2e.test
app_get() { curl -sk -m 5 --resolve "$HOST:443:127.0.0.1" "https://$HOST/" "$@"; }
# <project>.<apps_domain> is an alias the edge reads from the API every 3 s.
for _ in $(seq 40); do [ "$(app_get)" = "hello from python" ] && break; sleep 0.5; done
[ "$(curl -s -m 5 -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: $HOST" http://127.0.0.1/)" = "308 https://$HOST/" ]
echo "port 80: 308 to https://$HOST/"
[ "$(app_get)" = "hello from python" ]
# The first handshake for the name asked pebble for a certificate (the fallback served meanwhile); a client
# that trusts only pebble's issuing root must get through once it is in place.
verified_get() { curl -s -m 5 --cacert "$ACME/issuing-root.pem" --resolve "$HOST:443:127.0.0.1" "https://$HOST/" "$@"; }
for _ in $(seq 60); do [ "$(verified_get)" = "hello from python" ] && break; sleep 0.5; done
[ "$(verified_get)" = "hello from python" ] || { verified_get -v -o /dev/null; tail -20 "$ACME/pebble.log"; exit 1; }
verified_get -v -o /dev/null 2>&1 | grep -E "^\* +(issuer|subject):|^< HTTP/2 200" | sed 's/^/  /'
verified_get -o /dev/null -w '%{http_version}' | grep -qx 2 || { echo "the app was not served over HTTP/2"; exit 1; }
echo "port 443: 200 'hello from python' over HTTP/2, verified against pebble's root"
inside 'find /var/lib/paastech/edge -type f -exec stat -c "%a %U %n" {} +' | sed 's/^/  /'
[ -z "$(inside 'find /var/lib/paastech/edge -type f \( ! -perm 600 -o ! -user paastech-edge \)')" ] \
    || { echo "a key or certificate is not 0600 and the edge's own"; exit 1; }

step "journalctl -u pomegranate shows the instance's lines with their fields"
for _ in $(seq 20); do
    inside 'journalctl -u pomegranate PAASTECH_PROJECT=hello -o json --no-pager' >"$WORK/journal.json" 2>/dev/null || true
    grep -q '"GET / HTTP' "$WORK/journal.json" && break; sleep 0.5
done
python3 - "$WORK/journal.json" <<'PY'
import json, sys
lines = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
hits = [e for e in lines if '"GET / HTTP' in str(e.get("MESSAGE", ""))]
assert hits, f"no request line of the app among {len(lines)} entries"
e = hits[-1]
for field in ("PAASTECH_PROJECT", "PAASTECH_DEPLOYMENT", "PAASTECH_INSTANCE", "PAASTECH_STREAM", "_SYSTEMD_UNIT"):
    assert e.get(field), f"field {field} missing: {e}"
print("  " + " ".join(f"{k}={e[k]}" for k in ("_SYSTEMD_UNIT", "SYSLOG_IDENTIFIER", "PAASTECH_PROJECT", "PAASTECH_DEPLOYMENT",
                                             "PAASTECH_INSTANCE", "PAASTECH_STREAM")) + f" MESSAGE={e['MESSAGE']!r}")
PY

step "systemctl restart pomegranate does not interrupt the app (a request every 20 ms)"
poll() { local ok=0 failed=0; while [ ! -e "$WORK/stop" ]; do
        if [ "$(app_get -m "${POLL_TIMEOUT:-2}")" = "hello from python" ]; then ok=$((ok + 1)); else failed=$((failed + 1)); fi; sleep 0.02
    done; echo "$ok $failed" >"$WORK/poll"; }
BEFORE=$(inside 'pgrep -x init | sort | xargs')
poll & POLLER=$!
sleep 1; inside 'systemctl restart pomegranate'; inside 'systemctl is-active --quiet pomegranate'; sleep 2
AFTER=$(inside 'pgrep -x init | sort | xargs')
echo "the instances' init pids before and after: $BEFORE / $AFTER"
[ -n "$BEFORE" ] && [ "$BEFORE" = "$AFTER" ] || { echo "the instance was restarted, not adopted"; inside 'journalctl -u pomegranate -n 20 --no-pager'; exit 1; }
touch "$WORK/stop"; wait "$POLLER"; read -r OK FAILED <"$WORK/poll"
echo "served $OK, failed $FAILED"
if [ "$FAILED" != 0 ] || [ "$OK" -lt 20 ]; then inside 'journalctl -u pomegranate -n 20 --no-pager'; exit 1; fi

step "systemctl restart paastech-edge does not fail a request either (a request every 20 ms)"
# The listening sockets stay with systemd: connections made while the edge restarts wait in their queue. The
# old edge lets its answers in progress finish and closes its connections after them.
rm -f "$WORK/stop"
POLL_TIMEOUT=10 poll & POLLER=$!
sleep 1
STARTED=$(date +%s%N); inside 'systemctl restart paastech-edge'; echo "systemctl restart paastech-edge took $(( ($(date +%s%N) - STARTED) / 1000000 )) ms"
inside 'systemctl is-active --quiet paastech-edge'; sleep 2
touch "$WORK/stop"; wait "$POLLER"; read -r OK FAILED <"$WORK/poll"
echo "served $OK, failed $FAILED"
if [ "$FAILED" != 0 ] || [ "$OK" -lt 20 ]; then inside 'journalctl -u paastech-edge -n 20 --no-pager'; exit 1; fi

step "three more pushes, with a build step: old builds are deleted (releases_kept = 1) by pomegranate (Builds.RemoveBuilds)"
# The build runs as the project's uid in the build's /app: what it makes there, gitd's user cannot delete.
printf '[deployments.web]\nbuild = "mkdir -p generated && echo built > generated/stamp"\n' >"$WORK/app/paastech.toml"
git -C "$WORK/app" add paastech.toml
for n in 2 3 4; do
    git -C "$WORK/app" -c user.name=alice -c user.email=alice@example.com commit -q --allow-empty -m "release $n"
    git -C "$WORK/app" push ssh://git@127.0.0.1:2222/alice/hello.git main >"$WORK/push$n.log" 2>&1 || { cat "$WORK/push$n.log"; exit 1; }
    grep -q "^remote: -----> Live at " "$WORK/push$n.log" || { cat "$WORK/push$n.log"; exit 1; }
    { grep -E "pruned old releases|unused build" "$WORK/push$n.log" || true; } | sed "s/^remote: */  push $n: /"
    # The previous release retires in the background once nothing is open to it (after at least 1 s); its build
    # stays until then, and the next push's prune takes it. Wait for it, so that each push has one to take.
    STARTED=$(date +%s%N)
    for _ in $(seq 100); do [ "$(inside 'pgrep -xc init')" = 1 ] && break; sleep 0.1; done
    echo "  push $n: the previous release stopped $(( ($(date +%s%N) - STARTED) / 1000000 )) ms after the push ended"
    [ "$(inside 'pgrep -xc init')" = 1 ] || { inside "journalctl -u pomegranate -n 30 --no-pager -o cat"; exit 1; }
done
grep -q "removed 1 unused build(s)" "$WORK/push4.log" || { cat "$WORK/push4.log"; exit 1; }
RELEASES=$(inside 'find /var/lib/paastech/releases -mindepth 1 -maxdepth 1 -type d ! -name .incoming')
BUILDS=$(inside "find $RELEASES -mindepth 1 -maxdepth 1 -type d -printf '%f\\n' | sort | xargs")
echo "builds left: $BUILDS; owners of the files in v4: $(inside "find $RELEASES/v4 -printf '%u\\n' | sort | uniq -c | xargs")"
[ "$BUILDS" = "v3 v4" ] || { echo "expected the builds v3 and v4 only"; exit 1; }
[ -n "$(inside "find $RELEASES/v4 ! -user paastech-git")" ] || { echo "the build made no file of the project's uid"; exit 1; }
[ "$(app_get)" = "hello from python" ]

step "paastech backup, then paastech restore --force on the running platform: the app is served again"
inside 'paastech backup --output /root/paastech-backup.tar' | tail -3
inside 'tar -tf /root/paastech-backup.tar | head -1; stat -c "%a %U" /root/paastech-backup.tar'
inside 'paastech restore /root/paastech-backup.tar' >"$WORK/refused.log" 2>&1 && { cat "$WORK/refused.log"; exit 1; }
echo "without --force: $(tail -1 "$WORK/refused.log")"
inside 'paastech restore --force /root/paastech-backup.tar' | tail -4
for _ in $(seq 60); do [ "$(app_get)" = "hello from python" ] && break; sleep 0.5; done
[ "$(app_get)" = "hello from python" ]
TOKEN=$(api POST /auth/login "{\"login\":\"alice\",\"password\":\"$PASSWORD\"}" | expect_status 200 | json '["token"]')
echo "restored: alice logs in and the app answers on 443"

step "apt remove (services and apps stop), then apt install: the user, the project and the app come back"
inside 'export DEBIAN_FRONTEND=noninteractive; apt-get remove -y -qq paastech' >"$ROOT/../remove.log" 2>&1 || { tail -20 "$ROOT/../remove.log"; exit 1; }
grep "PaaSTech" "$ROOT/../remove.log" || true
inside '! systemctl is-active --quiet paastech-api'
if curl -sf -m 2 "$API/health" >/dev/null; then echo "the API still answers after apt remove"; exit 1; fi
if inside 'pgrep -x init' >/dev/null; then echo "sandboxes still run after apt remove"; inside 'ps -ef'; exit 1; fi
echo "removed: the API and the apps are down; kept: $(inside 'ls /var/lib/paastech/repos | wc -l') repository, database $(inside "runuser -u postgres -- psql -tAc \"SELECT count(*) FROM pg_database WHERE datname = 'paastech'\"")"
inside 'export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq -o Dpkg::Options::=--force-confold /root/paastech.deb' >"$ROOT/../reinstall.log" 2>&1 || { tail -20 "$ROOT/../reinstall.log"; exit 1; }
check
TOKEN=$(api POST /auth/login "{\"login\":\"alice\",\"password\":\"$PASSWORD\"}" | expect_status 200 | json '["token"]')
api GET /projects '' | expect_status 200 | json '["items"][0]["name"]' | grep -qx hello
for _ in $(seq 60); do [ "$(app_get)" = "hello from python" ] && break; sleep 0.5; done
[ "$(app_get)" = "hello from python" ]
echo "alice logs in, her project hello is listed, and the app answers on 443 (started again from pomegranate's saved state)"

step "apt install again (upgrade path): data and services kept"
inside 'export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq -o Dpkg::Options::=--force-confold --reinstall /root/paastech.deb' >"$ROOT/../reinstall.log" 2>&1
check
[ "$(app_get)" = "hello from python" ]

step "apt purge keeps the data unless asked beforehand; with /var/lib/paastech/PURGE-DELETES-ALL-DATA it goes"
database_exists() { inside "runuser -u postgres -- psql -tAc \"SELECT count(*) FROM pg_database WHERE datname = 'paastech'\""; }
inside 'export DEBIAN_FRONTEND=noninteractive; apt-get purge -y -qq paastech' 2>&1 | grep "PaaSTech" || true
inside '[ ! -e /etc/paastech ] && [ -d /var/lib/paastech/repos ]'
[ "$(database_exists)" = 1 ]
echo "purged without the marker: /etc/paastech gone; /var/lib/paastech and the database kept"
inside 'touch /var/lib/paastech/PURGE-DELETES-ALL-DATA; export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq /root/paastech.deb >/dev/null 2>&1 && apt-get purge -y -qq paastech >/dev/null 2>&1'
inside '[ ! -e /var/lib/paastech ] && ! id paastech && ! id paastech-git && ! id paastech-edge' 2>/dev/null
[ "$(database_exists)" = 0 ]
echo "purged with the marker: the database, /var/lib/paastech and the users paastech, paastech-git, paastech-edge are gone"
echo; echo "e2e: passed"
