"""Many inputs in one run: collect them, take this process's share, reconstruct them in batches on one
loaded generator, and write one complete output folder per input plus an index."""
