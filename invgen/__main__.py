"""``python -m invgen`` (and ``torchrun ... -m invgen run ...``): the ``invgen`` command."""

from invgen.cli import main

main()
