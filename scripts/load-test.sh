#!/usr/bin/env bash
# Load test of the HTTP service on loopback: CLIENTS concurrent clients send POST /translate for
# DURATION seconds against a freshly started `traductor serve` on a small model, then the script
# reports requests/min, p50/p95/p99 latency, errors (anything but 200 and the intended 429) and the
# server's peak RSS. Bounded in time and count; talks to 127.0.0.1 only; stops the server it started.
#
#   CLIENTS=8 DURATION=60 bash scripts/load-test.sh
#
#   MODEL_PATH  model to serve (default: a tiny smoke model generated into build/loadtest-model)
#   LOADTEST_SPM SentencePiece model for that smoke model (default ../shared/golden/esda.unigram.model)
#   PORT        loopback port (default 18080); other handbook settings pass through to the server
#   MAX_REQUESTS upper bound on requests per client (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${CLIENTS:-8}
DURATION=${DURATION:-60}
MAX_REQUESTS=${MAX_REQUESTS:-100000}
PORT=${PORT:-18080}
CONFIGURATION=${CONFIGURATION:-Release}
(( CLIENTS >= 1 && CLIENTS <= 64 )) || { echo "load-test: CLIENTS must be 1..64" >&2; exit 2; }
(( DURATION >= 1 && DURATION <= 600 )) || { echo "load-test: DURATION must be 1..600 seconds" >&2; exit 2; }

cli=src/Traductor.Cli/bin/$CONFIGURATION/net10.0/traductor.dll
[[ -f $cli ]] || { echo "load-test: $cli missing (run make build)" >&2; exit 2; }
command -v curl >/dev/null || { echo "load-test: curl is required" >&2; exit 2; }

if [[ -z ${MODEL_PATH:-} ]]; then
  MODEL_PATH=build/loadtest-model
  spm=${LOADTEST_SPM:-${TRD_SHARED_DIR:-../shared}/golden/esda.unigram.model}
  if [[ ! -f $MODEL_PATH/model.bin ]]; then
    [[ -f $spm ]] || { echo "load-test: no SentencePiece model at $spm (set LOADTEST_SPM or MODEL_PATH)" >&2; exit 2; }
    dotnet "$cli" model make-test --shape tiny --spm "$spm" --out "$MODEL_PATH" --force >&2
  fi
fi

work=$(mktemp -d /tmp/traductor-load.XXXXXX)
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Random-weight models never emit </s>: every segment runs to its budget, so the budget sets the cost.
MODEL_PATH=$MODEL_PATH HOST=127.0.0.1 PORT=$PORT \
  CT2_INTER_THREADS=${CT2_INTER_THREADS:-2} CT2_INTRA_THREADS=${CT2_INTRA_THREADS:-1} \
  DEFAULT_MAX_NEW_TOKENS=${DEFAULT_MAX_NEW_TOKENS:-48} BEAM_SIZE=${BEAM_SIZE:-2} \
  MAX_QUEUED_SEGMENTS=${MAX_QUEUED_SEGMENTS:-256} LOG_LEVEL=${LOG_LEVEL:-WARNING} \
  dotnet "$cli" serve >"$work/server.log" 2>&1 &
server_pid=$!
base=http://127.0.0.1:$PORT
for _ in $(seq 1 300); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$base/health" || true) == 200 ]] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "load-test: server exited:" >&2; tail -5 "$work/server.log" >&2; exit 1; }
  sleep 0.2
done
[[ $(curl -s -o /dev/null -w '%{http_code}' "$base/health") == 200 ]] || { echo "load-test: server not healthy after 60 s" >&2; exit 1; }

subjects=("La casa" "El perro" "Mi hermana" "El tren" "La ciudad" "Un libro" "El profesor" "La tienda")
client() {
  local id=$1 end=$((SECONDS + DURATION)) n=0 text
  while (( SECONDS < end && n < MAX_REQUESTS )); do
    # Half the texts come from a small pool (cache hits, as in production), half are new.
    if (( RANDOM % 2 )); then
      text="${subjects[RANDOM % 8]} tiene $((RANDOM % 10)) ventanas. Hoy hace buen tiempo."
    else
      text="${subjects[RANDOM % 8]} número $id-$n compró $RANDOM manzanas. ¿Dónde está la estación $RANDOM?"
    fi
    curl -s -o /dev/null --max-time 120 -w '%{http_code} %{time_total}\n' \
      -H 'Content-Type: application/json' -d "{\"text\":\"$text\",\"direction\":\"es-da\"}" "$base/translate" \
      >>"$work/client-$id.txt" || echo "000 0" >>"$work/client-$id.txt"
    n=$((n + 1))
  done
}

echo "load-test: $CLIENTS clients for ${DURATION}s against $base (model $MODEL_PATH)" >&2
started=$(date +%s%N)
for id in $(seq 1 "$CLIENTS"); do client "$id" & done
wait $(jobs -p | grep -v "^$server_pid$") 2>/dev/null || true
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
peak_rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
metrics=$(curl -s "$base/metrics")

status=0
cat "$work"/client-*.txt | python3 -c '
import sys
elapsed, clients, peak_kb = int(sys.argv[1]) / 1000, int(sys.argv[2]), int(sys.argv[3])
codes, lat = {}, []
for line in sys.stdin:
    code, t = line.split()
    codes[code] = codes.get(code, 0) + 1
    if code == "200":
        lat.append(float(t) * 1000)
lat.sort()
def pct(p): return lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))] if lat else float("nan")
total = sum(codes.values())
ok, refused = codes.get("200", 0), codes.get("429", 0)
errors = total - ok - refused
print(f"clients            {clients}")
print(f"duration           {elapsed:.1f} s")
print(f"requests           {total} ({codes})")
print(f"requests/min       {total / elapsed * 60:.0f} (200s: {ok / elapsed * 60:.0f}/min)")
print(f"latency p50/p95/p99 {pct(50):.0f} / {pct(95):.0f} / {pct(99):.0f} ms")
print(f"429 (intended)     {refused}")
print(f"errors             {errors}")
print(f"peak RSS           {peak_kb / 1024:.0f} MiB")
sys.exit(1 if errors else 0)
' "$elapsed_ms" "$CLIENTS" "$peak_rss_kb" || status=$?
echo "$metrics" | grep -E '^traductor_(cache_hit_rate|tokens_per_second|generated_tokens_total|queue_depth) ' | sed 's/^/server  /'
exit $status
