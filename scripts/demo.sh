#!/usr/bin/env bash
# `make demo`: serve a generated SMOKE model (random weights, so translations are nonsense) to try the
# HTTP service without downloading NLLB. /health and /info label it as a smoke model; production
# never falls back to one.
#
#   DEMO_DIR    where the model is generated (default build/demo-model; reused when present)
#   DEMO_SHAPE  make-test shape (default tiny)
#   DEMO_SPM    SentencePiece model for the vocabulary (default ../shared/golden/esda.unigram.model)
#   HOST, PORT and every other handbook setting pass through to `traductor serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIGURATION=${CONFIGURATION:-Release}
DEMO_DIR=${DEMO_DIR:-build/demo-model}
DEMO_SHAPE=${DEMO_SHAPE:-tiny}
shared=${TRD_SHARED_DIR:-../shared}
DEMO_SPM=${DEMO_SPM:-$shared/golden/esda.unigram.model}
traductor=(dotnet run --project src/Traductor.Cli -c "$CONFIGURATION" --no-build --)

if [[ ! -f "$DEMO_DIR/model.bin" ]]; then
  if [[ ! -f "$DEMO_SPM" ]]; then
    echo "demo: no SentencePiece model at $DEMO_SPM (set DEMO_SPM to a .model file)" >&2
    exit 2
  fi
  echo "demo: generating a $DEMO_SHAPE smoke model in $DEMO_DIR" >&2
  "${traductor[@]}" model make-test --shape "$DEMO_SHAPE" --spm "$DEMO_SPM" --out "$DEMO_DIR" --force
fi

export MODEL_PATH=$DEMO_DIR
export HOST=${HOST:-127.0.0.1} PORT=${PORT:-8000}
# Two cores are the handbook's minimum: one replica, two threads.
export CT2_INTER_THREADS=${CT2_INTER_THREADS:-1} CT2_INTRA_THREADS=${CT2_INTRA_THREADS:-2}
cat >&2 <<MSG
demo: serving SMOKE MODEL $MODEL_PATH on http://$HOST:$PORT (random weights: output is nonsense)
demo: try  curl -s http://$HOST:$PORT/health
demo:      curl -s -X POST http://$HOST:$PORT/translate -H 'Content-Type: application/json' -d '{"text":"Hola, ¿cómo estás?","direction":"es-da"}'
MSG
exec "${traductor[@]}" serve "$@"
