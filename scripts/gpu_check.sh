#!/usr/bin/env bash
# One go on a machine with a CUDA GPU (about 8 minutes on an H100): the device-independent tests on the GPU,
# `invgen run` on every task, a 500-digit `invgen eval`, a two-process torchrun over one GPU, and run
# throughput by batch size. Prints every figure and writes them to out/gpu-check/summary.txt.
#   bash scripts/gpu_check.sh            (from the repository, after `make install` or with invgen installed)
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
OUT=out/gpu-check
rm -rf "$OUT"; mkdir -p "$OUT"
SUMMARY=$OUT/summary.txt
say() { echo "$*" | tee -a "$SUMMARY"; }
timed() {  # timed LABEL COMMAND...: run, record wall seconds and the exit code
  local label=$1; shift
  local start=$(date +%s%N)
  "$@" > "$OUT/$label.log" 2>&1
  local rc=$?
  local ms=$(( ($(date +%s%N) - start) / 1000000 ))
  say "$label: exit $rc, $((ms / 1000)).$(printf %03d $((ms % 1000))) s"
}

say "== machine"
$PY - <<'PY' | tee -a "$SUMMARY"
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "gpu", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "NONE")
PY
$PY -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" || { say "no CUDA GPU: stopping"; exit 1; }

say "== tests on the GPU (INVGEN_TEST_DEVICE=cuda)"
INVGEN_TEST_DEVICE=cuda timed tests $PY -m pytest -q -x -p no:cacheprovider tests plugins
tail -3 "$OUT/tests.log" | tee -a "$SUMMARY"

say "== invgen run --device cuda on every task"
for spec in downsample:factor=4 downsample:factor=8 center-mask:fraction=0.25 \
            "random-mask:kind=strokes,fraction=0.3" "blur:sigma=1.5 noise:std=0.02"; do
  name=$(echo "$spec" | tr ' :,=' '____')
  forwards=(); for part in $spec; do forwards+=(-f "$part"); done
  timed "run_$name" $PY -m invgen run -g stylegan2-mnist32 "${forwards[@]}" --simulate --preset pixel --lr 0.03 \
    -i examples/holdout_1950_digit3.png -o "$OUT/run_$name" --device cuda
done
timed run_vi $PY -m invgen run -g stylegan2-mnist32 -f center-mask:fraction=0.4 --simulate --method vi \
  -i examples/holdout_3950_digit7.png -o "$OUT/run_vi" --device cuda

say "== invgen eval on the 500 held-out digits (x4 SR), fp32 and bf16"
for precision in fp32 bf16; do
  timed "eval_$precision" $PY -m invgen eval -g stylegan2-mnist32 --data mnist5k-holdout -t sr4 -m pixel -m brgm \
    -m bicubic --steps 100 --batch 500 --precision $precision --device cuda -o "$OUT/eval_$precision"
  grep -E "^\| sr4" "$OUT/eval_$precision/results.md" | tee -a "$SUMMARY"
done

say "== many inputs: throughput by --batch, and two processes under torchrun on one GPU"
$PY scripts/export_images.py mnist5k-holdout "$OUT/digits" --limit 256 > /dev/null
for batch in 1 32 256; do
  timed "many_b$batch" $PY -m invgen run -g stylegan2-mnist32 -f downsample:factor=4 --simulate --preset pixel \
    --lr 0.03 --steps 100 -i "$OUT/digits" -o "$OUT/many_b$batch" --batch $batch --device cuda
done
timed torchrun2 $PY -m torch.distributed.run --standalone --nproc-per-node 2 -m invgen run -g stylegan2-mnist32 \
  -f downsample:factor=4 --simulate --preset pixel --lr 0.03 --steps 100 -i "$OUT/digits" -o "$OUT/torchrun2" \
  --batch 128 --device cuda
say "torchrun rows: $(cat "$OUT"/torchrun2/index/shard-*.jsonl | wc -l) (expect 256), merged: $(wc -l < "$OUT/torchrun2/index.jsonl")"

say "== training speed on the GPU (bf16, 30 s)"
$PY -m invgen stylegan2 train --data mnist5k --resolution 32 --channels 1 --config small --kimg 1000 \
  --precision bf16 --device cuda --out "$OUT/train" --checkpoint-minutes 100 > "$OUT/train.log" 2>&1 &
TRAIN=$!
sleep 45; kill -INT $TRAIN 2>/dev/null; wait $TRAIN
tail -1 "$OUT/train/log.jsonl" | tee -a "$SUMMARY"
say "done: $SUMMARY"
