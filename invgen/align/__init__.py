"""Face alignment: photos cropped and rotated as a generator's training images were (FFHQ's recipe), and
results pasted back into the photo."""
