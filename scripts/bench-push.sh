#!/bin/bash
# Push-to-live benchmark (make bench): seconds from the start of `git push` to the first HTTP 200 of the
# new release, for examples/python-hello through a real `paastech dev` (API, gitd, repo manager, pre-receive
# pipeline, Pomegranate), median of 5 pushes. Needs root (sandboxes).
#
# Then the sleeping app: the same app with `sleep_after = "1s"`; once it sleeps, the time of the request
# that wakes it through the edge, against the app's own start time (started directly, no platform), median of 5.
#
# Dokku, CapRover and Heroku cannot run here (they need Docker or are hosted), so the comparison is with
# their published build-and-release times, not a side-by-side run: the ratio printed is against the 1.5 s target.
set -euo pipefail
BINARY=${1:-.build/release/paastech}
RUNS=${RUNS:-5}
STATE=$(mktemp -d /tmp/paastech-bench-push-XXXXXX)
chmod 755 "$STATE"  # the postgres user enters it
API_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SSH_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HTTP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HTTPS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CONSOLE_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
API=http://127.0.0.1:$API_PORT/v1

"$BINARY" dev --state-dir "$STATE" --api-port "$API_PORT" --ssh-port "$SSH_PORT" --http-port "$HTTP_PORT" --https-port "$HTTPS_PORT" --console-port "$CONSOLE_PORT" \
    --sandbox-name ptbench --sandbox-subnet 10.97.0.0/16 >"$STATE/dev.log" 2>&1 &
DEV=$!
cleanup() {
    # Deleting the project stops its app; then Ctrl-C stops the platform.
    if [ -n "${PROJECT:-}" ]; then curl -s -X DELETE "$API/projects/$PROJECT" -H "Authorization: Bearer $TOKEN" >/dev/null || true; fi
    kill -INT "$DEV" 2>/dev/null || true
    wait "$DEV" 2>/dev/null || true
    rm -rf "$STATE"
}
trap cleanup EXIT
for _ in $(seq 600); do curl -sf "$API/health" >/dev/null 2>&1 && break; sleep 0.1; done

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
curl -sf "$API/auth/signup" -H 'Content-Type: application/json' \
    -d '{"username":"bench","email":"bench@example.com","password":"benchmark password"}' >/dev/null
VERIFY=$(grep -ho 'token=ptn_[A-Za-z0-9_-]*' "$STATE"/mail/* | head -1 | cut -d= -f2)
curl -sf "$API/auth/verify-email" -H 'Content-Type: application/json' -d "{\"token\":\"$VERIFY\"}" >/dev/null
TOKEN=$(curl -sf "$API/auth/login" -H 'Content-Type: application/json' -d '{"login":"bench","password":"benchmark password"}' | json '["token"]')
ssh-keygen -q -t ed25519 -N "" -f "$STATE/key"
python3 -c 'import json,sys; print(json.dumps({"key": open(sys.argv[1]).read()}))' "$STATE/key.pub" \
    | curl -sf "$API/ssh-keys" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d @- >/dev/null
PROJECT=$(curl -sf "$API/projects" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"name":"bench"}' | json '["uuid"]')

WORK=$STATE/work
cp -r examples/python-hello "$WORK"
export GIT_SSH_COMMAND="ssh -i $STATE/key -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
git -C "$WORK" init -q -b main
REMOTE=ssh://git@127.0.0.1:$SSH_PORT/bench/bench.git

TIMES=()
for run in $(seq 0 "$RUNS"); do
    sed -i "s/hello from python[^\"]*/hello from python $run/" "$WORK/app.py"
    git -C "$WORK" add -A && git -C "$WORK" commit -qm "run $run"
    : >"$STATE/push.log"  # emptied here, not by the push's redirection, so the previous run's address is never read
    START=$(date +%s.%N)
    git -C "$WORK" push "$REMOTE" main >>"$STATE/push.log" 2>&1 &
    PUSH=$!
    # The deploy stage prints the new instance's address as soon as it starts; its first 200 is the moment.
    ADDRESS=""
    until [ -n "$ADDRESS" ]; do
        ADDRESS=$(grep -o 'web-[0-9a-f]* at [0-9.]*:[0-9]*' "$STATE/push.log" | tail -1 | sed 's/.* at //' || true)
        kill -0 "$PUSH" 2>/dev/null || [ -n "$ADDRESS" ] || { cat "$STATE/push.log"; exit 1; }
        sleep 0.002
    done
    DEADLINE=$(( $(date +%s) + 60 ))
    until [ "$(curl -s -m 1 "http://$ADDRESS/")" = "hello from python $run" ]; do
        [ "$(date +%s)" -lt "$DEADLINE" ] || { echo "run $run: $ADDRESS never answered"; cat "$STATE/push.log"; exit 1; }
        sleep 0.002
    done
    END=$(date +%s.%N)
    wait "$PUSH"
    # Run 0 warms up (first deploy of the project, caches); it is not counted.
    [ "$run" -gt 0 ] && TIMES+=("$(echo "$END - $START" | bc)")
done
MEDIAN=$(printf '%s\n' "${TIMES[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
printf 'push-to-live (python-hello, median of %d): %.3f s   [runs: %s]\n' "$RUNS" "$MEDIAN" "${TIMES[*]}"
printf 'target 1.5 s: %.1fx under the target; Dokku/Heroku publish tens of seconds for a buildpack deploy\n' "$(echo "1.5 / $MEDIAN" | bc -l)"

# Sleeping app: first-request latency through the edge vs the app's own start time.
printf '[deployments.web]\nsleep_after = "1s"\n' >"$WORK/paastech.toml"
git -C "$WORK" add -A && git -C "$WORK" commit -qm "sleep when idle"
git -C "$WORK" push "$REMOTE" main >"$STATE/push.log" 2>&1 || { cat "$STATE/push.log"; exit 1; }
python3 - "$HTTP_PORT" "$WORK" "$STATE/dev.log" "$RUNS" <<'PY'
import http.client, os, socket, statistics, subprocess, sys, time
edge_port, work, dev_log, runs = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])

def get(port, host):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/", headers={"Host": host})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body

def sleeps():
    with open(dev_log, errors="replace") as log:
        return log.read().count("sleeping until the next request")

def own_start():
    # The app alone: from exec to its first answer, polling its port every millisecond.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    app = subprocess.Popen(["python3", "app.py"], cwd=work, env={"PORT": str(port), "PATH": "/usr/bin:/bin"},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if get(port, "localhost")[0] == 200:
                    return time.monotonic() - start
            except OSError:
                time.sleep(0.001)
    finally:
        app.kill()
        app.wait()

woken, alone = [], []
for run in range(runs):
    # The n-th sleep of this deployment (the first may come before this script looks).
    deadline = time.monotonic() + 30
    while sleeps() < run + 1:
        if time.monotonic() > deadline:
            subprocess.run(["grep", "-a", "Pomegranate", dev_log])
            sys.exit("the sleeping app did not go to sleep within 30 s")
        time.sleep(0.05)
    time.sleep(0.3)  # its instance has stopped
    start = time.monotonic()
    status, body = get(edge_port, "web.bench.apps.localhost")
    woken.append(time.monotonic() - start)
    if status != 200:
        sys.exit(f"the request that woke the app got {status}: {body!r}")
    alone.append(own_start())
w, a = statistics.median(woken) * 1000, statistics.median(alone) * 1000
print(f"sleeping app, first request through the edge (median of {runs}): {w:.1f} ms   [runs: {' '.join(f'{x*1000:.1f}' for x in woken)}]")
print(f"the app's own start, run directly (median of {runs}):        {a:.1f} ms")
print(f"waking adds {w - a:.1f} ms to the app's own start (target < 100 ms)")
PY
