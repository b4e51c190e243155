#!/usr/bin/env bash
# Every 500-digit run behind docs/results.md, in order. Each (task, method) is saved under its
# folder's parts/ when it finishes, so an interrupted run continues where it stopped (--resume);
# replace --resume with --overwrite to recompute everything (about 6 hours on 2 CPU cores).
# Run from the project's root after `make install`, beside ../shared (the LPIPS backbones).
set -euo pipefail
cd "$(dirname "$0")/.."
export INVGEN_LPIPS_WEIGHTS=${INVGEN_LPIPS_WEIGHTS:-../shared/weights/lpips}
EVAL=(.venv/bin/invgen eval -g stylegan2-mnist32 --data mnist5k-holdout --steps 100 --batch 50 --precision bf16 --resume)
METHODS=(-m brgm -m brgm-vi -m pulse -m pixel -m plain -m bicubic -m biharmonic -m richardson-lucy -m wiener)

# Posterior sampling (docs/results.md, "Posterior sampling"): mean-field, then the data-aligned basis for x4 SR.
.venv/bin/python scripts/vi_experiment.py --limit 500 --batch 25 --precision bf16 --out docs/vi-results.json
.venv/bin/python scripts/vi_experiment.py --limit 500 --batch 25 --precision bf16 --basis data --task sr4 \
    --out docs/vi-results-data-basis.json

for task in sr4 sr8 inpaint-center inpaint-large deblur; do
    "${EVAL[@]}" -t "$task" "${METHODS[@]}" --output "docs/results/eval500/$task"
done
# Ablation steps 1 and 6 are the plain and brgm objectives: a part copied from eval500/TASK/parts
# into ablation500/TASK/parts is reused (inpaint-large's were; sr4's six steps were all computed).
for task in sr4 inpaint-large; do
    "${EVAL[@]}" -t "$task" --ablation --output "docs/results/ablation500/$task"
done
