#!/usr/bin/env bash
# The serving API's availability as a new user sees it, with clients that are not ours: a fresh `./featurestore up`
# in a scratch state directory, N documents (default 2000) sent with kcat and waited for with curl, then wrk
# (Debian) asking random ids:
#   1. 4 and 16 connections for DURATION seconds each (default 60): every answer must be a 200;
#   2. memcached frozen (SIGSTOP) for 2 s in the middle of a 10 s run: no request hangs (each gets its answer or a
#      503 by the 1 s deadline: wrk's max latency stays under it), and answers resume by themselves;
#   3. memcached stopped: every answer a 503 within the deadline.
# Also the serving API's peak RSS during the 16-connection run. Prints a table and records it in
# docs/BENCHMARKS.md, then stops the scratch stack and deletes its state. Needs the stack's ports free
# (9092, 11211, 8080-8083).
#   scripts/serving-availability.sh [N] [DURATION]        (also: ./featurestore bench availability)
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
# shellcheck source=benchmark-report.sh
source "$ROOT/scripts/benchmark-report.sh"
N=${1:-2000}
DURATION=${2:-60}
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/featurestore-avail-XXXXXX")"
export FEATURESTORE_HOME="$SCRATCH/state"
cleanup() { "$ROOT/featurestore" down >/dev/null 2>&1 || true; rm -rf "$SCRATCH"; }
trap cleanup EXIT
API=http://127.0.0.1:8080

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
"$ROOT/featurestore" up

echo "sending $N documents with kcat"
for ((i = 0; i < N; i++)); do
  printf 'avail-%d|{"doc_id":"avail-%d","text":"Availability document %d: a sentence about the weather, %d."}\n' \
    "$i" "$i" "$i" "$i"
done | kcat -P -b 127.0.0.1:9092 -t documents -K'|'
# every one of them: the writer embeds the partitions' records side by side, so the last id sent being served
# says nothing about the others (and wrk would starve the writer of CPU)
deadline=$(( $(date +%s) + 600 ))
for ((i = 0; i < N; i++)); do
  until [[ $(curl -s -o /dev/null -w '%{http_code}' "$API/v1/features/avail-$i") == 200 ]]; do
    (( $(date +%s) < deadline )) || { echo "avail-$i not served within 600 s" >&2; exit 1; }
    sleep 0.2
  done
done
echo "all $N documents are served"

# 1,000 pre-built requests of random ids (built in init: wrk.format needs the Host header wrk sets by then)
script="$SCRATCH/random-ids.lua"
cat >"$script" <<LUA
local requests = {}
init = function(args)
  math.randomseed(7)
  for i = 1, 1000 do
    requests[i] = wrk.format("GET", "/v1/features/avail-" .. math.random(0, $N - 1))
  end
end
local n = 0
request = function()
  n = n % #requests + 1
  return requests[n]
end
-- the first answer that is not a 200, to say what went wrong
local shown = false
response = function(status, headers, body)
  if status ~= 200 and not shown then
    shown = true
    print("first non-2xx answer: " .. status .. " " .. string.sub(body, 1, 300))
  end
end
LUA

# wrk's figures: req/s, p99, max latency, answers that were not 2xx, socket errors (timeouts included)
run_wrk() {
  local connections=$1 seconds=$2 out
  out="$(wrk -t2 -c"$connections" -d"${seconds}s" --latency --timeout 5s -s "$script" "$API" 2>&1)"
  # wrk runs on without a script it cannot load (asking for "/"): that is no measurement
  if grep -q "random-ids.lua:" <<<"$out"; then echo "wrk could not load $script: $out" >&2; exit 1; fi
  grep "first non-2xx answer" <<<"$out" | head -2 >&2 || true
  echo "$out" >>"${AVAILABILITY_WRK_LOG:-/dev/null}"
  local rps p99 max non2xx socket
  rps=$(awk '/Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  max=$(awk '/Latency/ {print $4; exit}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out"); non2xx=${non2xx:-0}
  socket=$(awk -F'[ ,]+' '/Socket errors:/ {print $4 + $6 + $8 + $10}' <<<"$out"); socket=${socket:-0}
  local total; total=$(awk '/requests in/ {print $1}' <<<"$out")
  echo "$rps $p99 $max $non2xx $socket $total" >"$SCRATCH/figures"
}

serving_pid() { cat "$FEATURESTORE_HOME/pids/serving-api.pid"; }
memcached_pid() { cat "$FEATURESTORE_HOME/pids/memcached.pid"; }
rss_mb() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$1/status"; }

echo "warm-up: 4 connections, 15 s"
run_wrk 4 15
rows=()
for c in 4 16; do
  echo "wrk: $c connections, $DURATION s"
  peak=0
  ( while sleep 1; do rss_mb "$(serving_pid)"; done ) >"$SCRATCH/rss-$c" &
  sampler=$!
  run_wrk "$c" "$DURATION"; read -r rps p99 max non2xx socket total <"$SCRATCH/figures"
  kill "$sampler" 2>/dev/null || true
  peak=$(sort -n "$SCRATCH/rss-$c" | tail -1)
  rows+=("| wrk, $c connections, $DURATION s, all up | $total | $rps | $p99 | $max | $non2xx | $socket | ${peak} MB |")
done

echo "memcached frozen (SIGSTOP) for 2 s during a 10 s run"
( sleep 4; kill -STOP "$(memcached_pid)"; sleep 2; kill -CONT "$(memcached_pid)" ) &
run_wrk 4 10; read -r rps p99 max non2xx socket total <"$SCRATCH/figures"
wait
after=$(curl -s -o /dev/null -w '%{http_code}' "$API/v1/features/avail-1")
rows+=("| wrk, 4 connections, 10 s, memcached SIGSTOPped for 2 s | $total | $rps | $p99 | $max | $non2xx (503s) | $socket | |")
run_wrk 4 5; read -r rps2 p992 max2 non2xx2 socket2 total2 <"$SCRATCH/figures"
rows+=("| the 5 s right after, nothing done by hand (answers resumed: curl $after) | $total2 | $rps2 | $p992 | $max2 | $non2xx2 | $socket2 | |")

echo "memcached stopped"
kill "$(memcached_pid)"
sleep 1
run_wrk 4 5; read -r rps3 p993 max3 non2xx3 socket3 total3 <"$SCRATCH/figures"
rows+=("| wrk, 4 connections, 5 s, memcached stopped | $total3 | $rps3 | $p993 | $max3 | $non2xx3 (503s) | $socket3 | |")

table="| run | requests | req/s | p99 | max latency | non-2xx | socket errors or timeouts | serving RSS (peak) |
|---|---|---|---|---|---|---|---|"
for row in "${rows[@]}"; do table+=$'\n'"$row"; done
body="## Serving availability under wrk (\`scripts/serving-availability.sh\`, \`./featurestore bench availability\`)

A fresh \`./featurestore up\` (local processes, shipped configuration, one memcached), $N documents sent with kcat
and served; wrk (Debian), 2 threads, random ids, each answer a one-id JSON lookup. The request deadline is the
default 1 s: under a frozen memcached an answer is a 503 at that deadline at the latest (max latency), and with
memcached stopped a 503 at once. Everything on this machine's 2 cores.

$table"
record_benchmark serving-availability "$body"
