#!/usr/bin/env bash
# Freshness right after a cold start, as a new user sees it: a fresh `./featurestore up` in a scratch state
# directory, then at once N documents (default 100) at R per second (default 10) with kcat, each polled with curl
# until GET /v1/features/{id} answers 200. Prints p50/p99/max, records them in docs/BENCHMARKS.md, then stops the
# scratch stack and deletes its state. Needs the stack's ports free (9092, 11211, 8080-8083).
#   scripts/cold-start-freshness.sh [N] [RATE]        (also: ./featurestore bench cold-start)
# COLD_START_KEEP=DIR keeps the services' metrics and logs of the run there.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
# shellcheck source=benchmark-report.sh
source "$ROOT/scripts/benchmark-report.sh"
N=${1:-100}
RATE=${2:-10}
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/featurestore-cold-XXXXXX")"
export FEATURESTORE_HOME="$SCRATCH/state"
cleanup() { "$ROOT/featurestore" down >/dev/null 2>&1 || true; rm -rf "$SCRATCH"; }
trap cleanup EXIT

now_ms() { date +%s%3N; }
"$ROOT/featurestore" up

sent="$SCRATCH/sent"
: >"$sent"
period_ms=$(( 1000 / RATE ))
(
  for ((i = 0; i < N; i++)); do
    t=$(now_ms)
    id="cold-$i"
    printf '%s|{"doc_id":"%s","text":"Cold start document number %d about the weather today."}\n' "$id" "$id" "$i" \
      | kcat -P -b 127.0.0.1:9092 -t documents -K'|'
    echo "$id $t" >>"$sent"
    sleep_ms=$(( period_ms - ($(now_ms) - t) ))
    (( sleep_ms > 0 )) && sleep "$(printf '0.%03d' "$sleep_ms")"
  done
) &
producer=$!

latencies="$SCRATCH/latencies"
: >"$latencies"
deadline=$(( $(now_ms) + 120000 ))
for ((i = 0; i < N; i++)); do
  while ! grep -q "^cold-$i " "$sent"; do sleep 0.005; done
  t0=$(grep "^cold-$i " "$sent" | cut -d' ' -f2)
  until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:8080/v1/features/cold-$i") == 200 ]]; do
    (( $(now_ms) < deadline )) || { echo "cold-$i not served within 120 s" >&2; exit 1; }
    sleep 0.01
  done
  echo $(( $(now_ms) - t0 )) >>"$latencies"
done
wait "$producer"
echo "freshness in send order (ms): $(tr '\n' ' ' <"$latencies")"
if [[ -n ${COLD_START_KEEP:-} ]]; then
  mkdir -p "$COLD_START_KEEP"
  for port in 8081 8082 8083; do curl -s "http://127.0.0.1:$port/actuator/prometheus" >"$COLD_START_KEEP/metrics-$port.txt" || true; done
  cp -r "$FEATURESTORE_HOME/logs" "$COLD_START_KEEP/" 2>/dev/null || true
fi

read -r p50 p99 max < <(sort -n "$latencies" | awk '{v[NR]=$1} END {i50=int(NR*0.5+0.999); i99=int(NR*0.99+0.999); print v[i50], v[i99], v[NR]}')
record_benchmark cold-start "## Freshness right after a cold start (\`./featurestore bench cold-start\`)

A fresh \`./featurestore up\` (new state directory: new table, new topics, services just started and ready), then at
once $N documents at $RATE/s with kcat, each polled with curl until \`GET /v1/features/{id}\` answers 200 (send to
served; curl's polling adds up to 10 ms).

| measure | value |
|---|---|
| documents served | $(wc -l <"$latencies") of $N |
| freshness p50 | $p50 ms |
| freshness p99 | $p99 ms (target <= 1500 ms) |
| freshness max | $max ms |"
