#!/usr/bin/env bash
# The runs behind docs/results.md "Several modes, calibration and tuned weights", in order. Each script saves
# its finished chunks (or parts) and skips them when rerun, so an interrupted run continues where it stopped.
# Run from the project's root after `make install`. About 2 hours on 2 CPU cores (all 500 held-out digits).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
INVGEN=.venv/bin/invgen
OUT=docs/results/modes
CENTER40="center-mask:fraction=0.4"

# 1. x4 super-resolution, 10 MAP starts per digit, all 500 held-out digits (default MAP preset: pixel)
$PY scripts/modes_experiment.py --task sr4 --starts 10 --out $OUT/sr4
#    and on the 200 digits (20 per class) the observation-blind starts were measured on before (commit d8fccb8)
$PY scripts/modes_experiment.py --task sr4 --starts 10 --limit 200 --out $OUT/sr4-limit200

# 2. calibrations of the default VI posterior (bayes preset), fitted on 50 training digits each
for forward in downsample:factor=4 "$CENTER40"; do
    name=$([ "$forward" = "$CENTER40" ] && echo center40 || echo sr4)
    [ -f $OUT/calibration-$name.json ] || $INVGEN calibrate -g stylegan2-mnist32 -f "$forward" --data mnist5k-train \
        --limit 50 --steps 100 --map-steps 100 --precision bf16 -o $OUT/calibration-$name.json
done

# 3. coverage of the VI posterior on the 500 held-out digits, before and after calibration
$PY scripts/modes_experiment.py --task sr4 --method vi --starts 1 \
    --calibration $OUT/calibration-sr4.json --out $OUT/vi-sr4
$PY scripts/modes_experiment.py --task "$CENTER40" --method vi --starts 1 \
    --calibration $OUT/calibration-center40.json --out $OUT/vi-center40

# 4. tuned weights for the embedded model (training digits), then checked on 100 held-out digits
[ -f $OUT/mnist32-tuned.json ] || $INVGEN tune -g stylegan2-mnist32 -t sr4 -t inpaint-large --data mnist5k-train \
    --limit 30 --base brgm-pixel --steps 100 --batch 50 --precision bf16 -o $OUT/mnist32-tuned.json
$INVGEN eval -g stylegan2-mnist32 --data mnist5k-holdout --limit 100 -t sr4 -t inpaint-large \
    -m $OUT/mnist32-tuned.json -m brgm-pixel -m pixel --steps 100 --batch 50 --precision bf16 --resume \
    --output $OUT/tuned-eval

# 5. a VI mixture over 4 starts, centre mask 40%, 500 held-out digits: do its samples show the true digit?
#    (against one Gaussian on the same digits: run 3's vi-center40; and, on 50 digits, the mixture with a less
#    sharp likelihood, sigma 0.05)
$PY scripts/modes_experiment.py --task "$CENTER40" --method vi --starts 4 --out $OUT/vi-mixture-center40
$PY scripts/modes_experiment.py --task "$CENTER40" --method vi --starts 4 --limit 50 \
    --preset $OUT/bayes-sigma005.json --out $OUT/vi-mixture-center40-sigma005

# 6. the out-of-domain check: LFW faces and held-out digits given to the digit model
$PY scripts/domain_experiment.py --out docs/results/domain

# 7. the same 10 MAP starts for the other tasks, 100 evenly spaced held-out digits each (10 per class)
for task in sr8 inpaint-center inpaint-large deblur mri4; do
    $PY scripts/modes_experiment.py --task $task --starts 10 --limit 100 --out $OUT/modes-$task
done

# 8. the new options in the method table, 100 evenly spaced held-out digits: pixel from 1 start with the baselines,
#    then pixel from 10 starts with each task's consistency step
export INVGEN_LPIPS_WEIGHTS=${INVGEN_LPIPS_WEIGHTS:-../shared/weights/lpips}
EVAL=($INVGEN eval -g stylegan2-mnist32 --data mnist5k-holdout --limit 100 --steps 100 --batch 50 --precision bf16 --resume)
"${EVAL[@]}" -t sr4 -t inpaint-center -m pixel -m bicubic -m biharmonic --output $OUT/eval-options/plain
"${EVAL[@]}" -t sr4 -m pixel --starts 10 --consistency project --output $OUT/eval-options/sr4-starts10-project
"${EVAL[@]}" -t inpaint-center -m pixel --starts 10 --consistency paste --output $OUT/eval-options/center-starts10-paste

# 9. mode probabilities: 10 MAP starts on 200 training digits per task (to fit the temperature on) and the
#    centre masks on the 500 held-out digits (x4 SR: run 1); the tables and figure come from
#    scripts/mode_calibration_tables.py docs/results/modes docs/mode-reliability.png
for task in sr4 inpaint-center "$CENTER40"; do
    name=$(case $task in sr4) echo sr4;; inpaint-center) echo center25;; *) echo center40;; esac)
    $PY scripts/modes_experiment.py --task "$task" --starts 10 --split train --limit 200 --out $OUT/train-$name
    [ $name = sr4 ] || $PY scripts/modes_experiment.py --task "$task" --starts 10 --out $OUT/modes-$name
done
#    and the VI mixture over 4 starts with its temperature fitted on 100 training digits (50 held-out digits)
$PY scripts/modes_experiment.py --task "$CENTER40" --method vi --starts 4 --split train --limit 100 \
    --out $OUT/train-vi-mixture-center40
$PY scripts/modes_experiment.py --task "$CENTER40" --method vi --starts 4 --limit 50 \
    --temperature-from $OUT/train-vi-mixture-center40 --out $OUT/vi-mixture4-center40
