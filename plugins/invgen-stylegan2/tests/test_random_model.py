"""stylegan2-random: the FFHQ configuration with seeded random weights (what invgen bench measures)."""

import torch

import invgen


def test_random_model_has_the_ffhq_widths_and_its_seed_decides_the_weights():
    generator = invgen.generator("stylegan2-random:resolution=64,channels=1")
    synthesis = generator.network.synthesis
    assert (generator.resolution, generator.channels, generator.num_layers, generator.latent_dim) == (64, 1, 10, 512)
    assert synthesis.b64.conv1.weight.shape == (512, 512, 3, 3)  # channel_base 32768 / 64, capped at 512
    same = invgen.generator("stylegan2-random:resolution=64,channels=1")
    other = invgen.generator("stylegan2-random:resolution=64,channels=1,seed=1")
    assert torch.equal(synthesis.b64.conv1.weight, same.network.synthesis.b64.conv1.weight)
    assert not torch.equal(synthesis.b64.conv1.weight, other.network.synthesis.b64.conv1.weight)
    w = generator.initial_latent(2)
    assert generator.synthesize(w).shape == (2, 1, 64, 64)


def test_building_it_leaves_the_global_random_state_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    invgen.generator("stylegan2-random:resolution=8,channels=1")
    assert torch.equal(torch.rand(3), expected)
