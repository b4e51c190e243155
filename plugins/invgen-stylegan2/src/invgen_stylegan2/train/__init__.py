"""Training a StyleGAN2 from scratch: data sources, discriminator, losses and the resumable loop."""
