#!/bin/bash
# Edge benchmark (make bench): requests/s and latency through `paastech edge`, through nginx configured as a
# plain reverse proxy, and straight to the backend, side by side on this machine, with wrk (HTTP/1.1 keep-alive)
# over plain HTTP and over HTTPS. The backend is an nginx serving a 13-byte response; both proxies keep idle
# connections to it, log nothing per request, and use every core. Other work on the machine makes single runs
# noisy, so each contender is measured ROUNDS times, interleaved (nginx and the edge swap order every round), and
# its best run (most requests/s) is reported with that run's 99th percentile. Prints the ratios edge/nginx.
#
# One more contender over plain HTTP: `paastech bench forwarder`, a bare SwiftNIO TCP forwarder (bytes through,
# no HTTP, a backend connection per client connection). It is the floor of any proxy built on SwiftNIO, as the
# edge is: its ratio to nginx bounds what the edge can reach here, and the edge's ratio to it is the cost of the
# edge's own HTTP work.
set -euo pipefail
BINARY=${1:-.build/release/paastech}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-2}
WORK=$(mktemp -d /tmp/paastech-bench-edge-XXXXXX)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
BACKEND=$(port); NGINX_HTTP=$(port); NGINX_HTTPS=$(port); EDGE_HTTP=$(port); EDGE_HTTPS=$(port); FORWARDER=$(port)
HOST=console.bench.localhost
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$WORK/backend.pid" ] && kill "$(cat "$WORK/backend.pid")" 2>/dev/null || true
    [ -f "$WORK/proxy.pid" ] && kill "$(cat "$WORK/proxy.pid")" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$HOST" \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

# The backend, and nginx as the proxy a user would pick instead (same keep-alive to the backend).
nginx_conf() {  # $1: pid file, $2: server blocks
    cat <<CONF
worker_processes auto;
pid $WORK/$1;
error_log $WORK/$1.error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/tmp-body-$1; proxy_temp_path $WORK/tmp-proxy-$1;
    fastcgi_temp_path $WORK/tmp-fcgi-$1; uwsgi_temp_path $WORK/tmp-uwsgi-$1; scgi_temp_path $WORK/tmp-scgi-$1;
    keepalive_requests 100000;
    $2
}
CONF
}
nginx_conf backend.pid "server { listen 127.0.0.1:$BACKEND; location / { return 200 'hello, bench\n'; } }" > "$WORK/backend.conf"
nginx_conf proxy.pid "
    upstream app { server 127.0.0.1:$BACKEND; keepalive 64; }
    server {
        listen 127.0.0.1:$NGINX_HTTP;
        listen 127.0.0.1:$NGINX_HTTPS ssl http2;
        ssl_certificate $WORK/cert.pem; ssl_certificate_key $WORK/key.pem;
        location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection '';
                     proxy_set_header Host \$host; proxy_set_header X-Forwarded-For \$remote_addr; }
    }" > "$WORK/proxy.conf"
nginx -c "$WORK/backend.conf"
nginx -c "$WORK/proxy.conf"

mkdir -p "$WORK/state" "$WORK/run"
cat > "$WORK/paastech.toml" <<CONF
[paths]
state_dir = "$WORK/state"
run_dir = "$WORK/run"
[platform]
domain = "bench.localhost"
[edge]
http_listen = "127.0.0.1:$EDGE_HTTP"
https_listen = "127.0.0.1:$EDGE_HTTPS"
redirect_http = false
certificates = "self-signed"
console_upstream = "127.0.0.1:$BACKEND"
access_log = false
CONF
"$BINARY" edge --config "$WORK/paastech.toml" >"$WORK/edge.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -sf -H "Host: $HOST" "http://127.0.0.1:$EDGE_HTTP/" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf -H "Host: $HOST" "http://127.0.0.1:$EDGE_HTTP/" >/dev/null || { echo "the edge did not start:"; tail -20 "$WORK/edge.log"; exit 1; }
"$BINARY" bench forwarder --listen "$FORWARDER" --backend "$BACKEND" >"$WORK/forwarder.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$FORWARDER/" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$FORWARDER/" >/dev/null || { echo "the forwarder did not start:"; tail -20 "$WORK/forwarder.log"; exit 1; }

# wrk: requests/s and the 99th percentile in ms.
measure() {  # $1: URL
    local output rps p99
    output=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Host: $HOST" "$1")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$output")
    p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v=v/1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v=v*1000}; print v}' <<<"$output")
    errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$output")
    [ -n "$errors" ] && echo "  ($1: $errors)" >&2
    echo "$rps $p99"
}
row() { printf "%-28s %12s %10s\n" "$1" "$2" "$3"; }
declare -A RUNS  # name -> "rps p99;rps p99;..."
run() {  # $1: name, $2: URL
    local result
    result=$(measure "$2")
    RUNS[$1]="${RUNS[$1]:+${RUNS[$1]};}$result"
    echo "  round $round, $1: $result" >&2
}
best() { tr ';' '\n' <<<"${RUNS[$1]}" | sort -k1,1 -g -r | head -1; }  # the run with the most requests/s
echo
echo "Edge vs nginx vs direct: wrk -t2 -c$CONNECTIONS -d${DURATION}s, HTTP/1.1 keep-alive, $(nproc) cores, best of $ROUNDS interleaved rounds"
echo "  (each run: requests/s, p99 ms)" >&2
for round in $(seq "$ROUNDS"); do
    run direct "http://127.0.0.1:$BACKEND/"
    if (( round % 2 )); then
        run nginx "http://127.0.0.1:$NGINX_HTTP/"; run edge "http://127.0.0.1:$EDGE_HTTP/"; run floor "http://127.0.0.1:$FORWARDER/"
        run nginx_tls "https://127.0.0.1:$NGINX_HTTPS/"; run edge_tls "https://127.0.0.1:$EDGE_HTTPS/"
    else
        run floor "http://127.0.0.1:$FORWARDER/"; run edge "http://127.0.0.1:$EDGE_HTTP/"; run nginx "http://127.0.0.1:$NGINX_HTTP/"
        run edge_tls "https://127.0.0.1:$EDGE_HTTPS/"; run nginx_tls "https://127.0.0.1:$NGINX_HTTPS/"
    fi
done
read -r direct_rps direct_p99 < <(best direct)
read -r nginx_rps nginx_p99 < <(best nginx)
read -r edge_rps edge_p99 < <(best edge)
read -r floor_rps floor_p99 < <(best floor)
read -r nginx_tls_rps nginx_tls_p99 < <(best nginx_tls)
read -r edge_tls_rps edge_tls_p99 < <(best edge_tls)
row "path" "requests/s" "p99 ms"
row "direct to the backend" "$direct_rps" "$direct_p99"
row "nginx, HTTP" "$nginx_rps" "$nginx_p99"
row "paastech edge, HTTP" "$edge_rps" "$edge_p99"
row "SwiftNIO floor (bare TCP)" "$floor_rps" "$floor_p99"
row "nginx, HTTPS" "$nginx_tls_rps" "$nginx_tls_p99"
row "paastech edge, HTTPS" "$edge_tls_rps" "$edge_tls_p99"
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
echo "edge/nginx throughput: HTTP $(ratio "$edge_rps" "$nginx_rps")x, HTTPS $(ratio "$edge_tls_rps" "$nginx_tls_rps")x (target >= 1)"
echo "edge/nginx p99:        HTTP $(ratio "$edge_p99" "$nginx_p99")x, HTTPS $(ratio "$edge_tls_p99" "$nginx_tls_p99")x (target <= 1)"
echo "SwiftNIO floor/nginx throughput: HTTP $(ratio "$floor_rps" "$nginx_rps")x (the most any SwiftNIO proxy reaches here);" \
     "edge/floor: $(ratio "$edge_rps" "$floor_rps")x"
