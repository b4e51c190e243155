"""The most invgen reads from one input file, checked from headers before anything is decoded or allocated.

Far beyond any generator's images, small enough that a tiny crafted file (a PNG that decompresses to
20000 x 20000 pixels, a ``.npy`` header declaring 10^10 values, a gzipped NIfTI of zeros) is refused in
one line instead of making invgen allocate gigabytes.
"""

MAX_PIXELS = 100_000_000  # a 10,000 x 10,000 picture: 1.2 GB as float32 RGB
MAX_ARRAY_VALUES = 4 * MAX_PIXELS  # a .npy image, mask, kernel or k-space: 4 values for each pixel
MAX_VOXELS = 512**3  # a NIfTI volume: a 512^3 CT; writing a slice back holds the volume as float32 (512 MB)
