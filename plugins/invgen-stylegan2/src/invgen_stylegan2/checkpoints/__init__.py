"""StyleGAN2 checkpoints in and out: NVIDIA's pickles (read without executing them, :mod:`.safe_pickle`),
rosinality's ``.pt`` files and safetensors, checked against the network their config implies
(:mod:`.loading`)."""
