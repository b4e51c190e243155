"""invgen-losses: data terms (pixel likelihood, LPIPS) and priors on W+ latents."""
