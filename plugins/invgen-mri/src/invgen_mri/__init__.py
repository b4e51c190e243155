"""invgen-mri: k-space forward models for MRI, built on invgen's public plugin API only."""
