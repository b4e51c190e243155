"""invgen-kornia: forward models built on kornia (blur, down-sampling, masks, noise, grey scale)."""
