#!/usr/bin/env bash
# bench-serve.sh: the portal's hot path under load, as `make bench-serve` runs it.
#
# Starts a real redis-server on a free port, loads a 100,000-player exrps
# board, starts `statsctl serve --redis ...` on a free port, and runs wrk
# (2 threads, 32 connections) against GET /leaderboards/top_ten/exrps:
#   1. a 30 s run: requests/s and latency percentiles;
#   2. the same with LIGHT_CONNS (4) connections, 1 thread: latency below saturation;
#   3. a 60 s run sampling the serve process's RSS every 5 s (memory must
#      stay flat);
#   4. redis-benchmark's GET rate alone, as a yardstick of how busy this
#      shared machine is right now (compare runs by ratio, not absolutes).
# Extra arguments go to serve (e.g. --cache-ttl 0 to measure without cache).
# DURATION and SOAK override the wrk run lengths (seconds); LIGHT_CONNS the
# light run's connections (4).
set -euo pipefail
BIN=${BIN:-./statsctl}
DURATION=${DURATION:-30}
SOAK=${SOAK:-60}
PLAYERS=${PLAYERS:-100000}
LIGHT_CONNS=${LIGHT_CONNS:-4}
for tool in redis-server redis-cli redis-benchmark wrk; do
  command -v "$tool" >/dev/null || { echo "bench-serve: $tool not found (apt-get install redis-server wrk)" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "bench-serve: $BIN not built (run make build)" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
WORK=$(mktemp -d)
RPORT=$(free_port)
HPORT=$(free_port)
cleanup() {
  [ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null || true
  [ -n "${REDIS_PID:-}" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" --logfile "$WORK/redis.log" &
REDIS_PID=$!
for _ in $(seq 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.05; done

echo "loading $PLAYERS players onto statsctl:{exrps}:lb:wins ..."
# Scores spread like a real board: many low, few high, ties included.
awk -v n="$PLAYERS" 'BEGIN { srand(42); for (i = 1; i <= n; i += 1000) {
  printf "ZADD statsctl:{exrps}:lb:wins"; for (j = i; j < i + 1000 && j <= n; j++) printf " %d u%d", int(rand()^3 * 5000), j; printf "\n" } }' \
  | redis-cli -p "$RPORT" >/dev/null
redis-cli -p "$RPORT" SADD statsctl:products exrps >/dev/null
echo "board size: $(redis-cli -p "$RPORT" ZCARD 'statsctl:{exrps}:lb:wins')"

"$BIN" serve --redis "redis://127.0.0.1:$RPORT/0" --listen "127.0.0.1:$HPORT" --access-log=false "$@" 2>"$WORK/serve.log" &
SERVE_PID=$!
URL="http://127.0.0.1:$HPORT/leaderboards/top_ten/exrps"
for _ in $(seq 100); do curl -fsS "$URL" >/dev/null 2>&1 && break; sleep 0.05; done
echo "serve args: ${*:-(defaults)}"
echo "sample answer: $(curl -fsS "$URL" | cut -c1-120)..."
rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVE_PID/status"; }
echo "RSS before load: $(rss) kB"

echo "== wrk -t2 -c32 -d${DURATION}s --latency $URL"
wrk -t2 -c32 -d"${DURATION}s" --latency "$URL" | tee "$WORK/wrk1.txt"

# Saturation (32 connections on 2 shared cores) measures capacity; p99 there
# is queueing behind wrk itself. A light run with 4 connections shows the
# latency a client sees while the rate is still above the 40,000 req/s goal.
echo "== wrk -t1 -c${LIGHT_CONNS} -d${DURATION}s --latency $URL (light load)"
wrk -t1 -c"${LIGHT_CONNS}" -d"${DURATION}s" --latency "$URL" | tee "$WORK/wrk3.txt"

echo "== ${SOAK}s soak, RSS of serve (kB) every 5 s"
wrk -t2 -c32 -d"${SOAK}s" --latency "$URL" >"$WORK/wrk2.txt" &
WRK_PID=$!
samples=()
while kill -0 "$WRK_PID" 2>/dev/null; do samples+=("$(rss)"); sleep 5; done
wait "$WRK_PID"
echo "RSS samples: ${samples[*]}"
grep -E 'Requests/sec|99%' "$WORK/wrk2.txt" | sed 's/^/soak: /'

echo "== yardstick: redis-benchmark GET alone (machine load right now)"
redis-benchmark -p "$RPORT" -t get -c 32 -n 300000 -q | tr '\r' '\n' | grep -E 'GET: [0-9]' | tail -1

echo "== summary"
echo "top_ten req/s:  $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk1.txt") (${DURATION} s run), $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk2.txt") (soak)"
echo "top_ten p99:    $(awk '$1=="99%" {print $2}' "$WORK/wrk1.txt") (${DURATION} s run), $(awk '$1=="99%" {print $2}' "$WORK/wrk2.txt") (soak)"
echo "light load ($LIGHT_CONNS connections): $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk3.txt") req/s, p99 $(awk '$1=="99%" {print $2}' "$WORK/wrk3.txt")"
echo "serve RSS (kB): ${samples[*]}"
errs=$(grep -cE 'level=(ERROR|WARN)' "$WORK/serve.log" || true)
echo "serve warnings/errors logged: $errs"
