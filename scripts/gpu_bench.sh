#!/usr/bin/env bash
# `invgen bench` on a CUDA GPU in one go (issue 15): each command has a time limit, 12 minutes in all at most. Prints every table and writes
# out/gpu-bench/*.json plus out/gpu-bench/summary.txt (the machine, then each command's table).
#   bash scripts/gpu_bench.sh            (from the repository, with invgen and its plugins installed)
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
OUT=out/gpu-bench
rm -rf "$OUT"; mkdir -p "$OUT"
SUMMARY=$OUT/summary.txt
export COLUMNS=200
[ -d ../shared/weights/lpips ] && export INVGEN_LPIPS_WEIGHTS=${INVGEN_LPIPS_WEIGHTS:-$(cd ../shared/weights/lpips && pwd)}
say() { echo "$*" | tee -a "$SUMMARY"; }
bench() {  # bench SECONDS LABEL ARGS...: one invgen bench command with a time limit, its table into the summary
  local limit=$1 label=$2; shift 2
  say "== $label: invgen bench $*"
  timeout "$limit" $PY -m invgen bench --device cuda "$@" --json "$OUT/$label.json" 2> "$OUT/$label.log" \
    | tee -a "$SUMMARY"
  say "(exit ${PIPESTATUS[0]})"
}

$PY - <<'PY' | tee -a "$SUMMARY"
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "gpu",
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "NONE")
PY
$PY -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" || { say "no CUDA GPU: stopping"; exit 1; }

# the registered models (mnist32, FFHQ config-f at 256 and 1024), synthesis and the BRGM objective on x4 SR,
# batch 1/8/32, fp32/bf16/tf32, against the plain path
bench 270 default --baseline -w synthesis -w brgm -f downsample:factor=4 --repeats 5
# the two forms of the modulated convolution at 1024 px (auto picks fused on CUDA)
for form in fused scaling; do
  bench 60 "modconv_$form" -g "stylegan2-random:resolution=1024,modconv=$form" -w synthesis -b 1 -b 8 -p bf16 -p fp32
done
# launch-bound: the 32 px model on 500 digits at once, plain and compiled
bench 120 mnist500 --compile -g stylegan2-mnist32 -w synthesis -w pixel -f downsample:factor=4 -b 500 -p bf16 -p fp32
# the same with CUDA graphs (torch.compile's reduce-overhead mode): the launch-bound case they are for
bench 90 mnist500_graphs --compile --compile-mode reduce-overhead -g stylegan2-mnist32 -w pixel \
  -f downsample:factor=4 -b 500 -p bf16 -p fp32
# compiled 1024 px synthesis at batch 8
bench 120 compile1024 --compile -g stylegan2-random:resolution=1024 -w synthesis -b 8 -p bf16
say "done: $OUT"
