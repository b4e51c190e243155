"""The registered classical baselines, applied: which fit a forward chain, their restorations and scores."""

from __future__ import annotations

import copy

from torch import Tensor

from invgen.problem.chain import Chain
from invgen.problem.metrics import all_metrics
from invgen.registry.manager import registry
from invgen.problem.build import Problem


def applies(name: str, chain: Chain, shape: tuple[int, ...]) -> bool:
    """Whether the registered baseline ``name`` fits ``chain`` for images of ``shape``."""
    _, fits = registry().baselines[name].load()
    return bool(fits(_on_cpu(chain), shape))


def applicable(chain: Chain, shape: tuple[int, ...]) -> list[str]:
    """The names of the registered baselines that fit ``chain`` (e.g. bicubic for a down-sampling)."""
    return [name for name in registry().baselines if applies(name, chain, shape)]


def restore(name: str, observation: Tensor, chain: Chain, shape: tuple[int, ...]) -> Tensor:
    """The baseline's reconstruction ``[B, C, H, W]`` of ``observation``, computed on CPU copies."""
    restorer, _ = registry().baselines[name].load()
    return restorer(observation.detach().cpu(), _on_cpu(chain), shape)


def baseline_scores(problem: Problem) -> dict[str, dict[str, list[float]]]:
    """PSNR/SSIM/RMSE per image of every baseline that fits the problem, against its ground truth."""
    if problem.ground_truth is None:
        return {}
    shape = tuple(problem.generator.image_shape)
    return {name: all_metrics(restore(name, problem.observation, problem.forward, shape), problem.ground_truth)
            for name in applicable(problem.forward, shape)}


def _on_cpu(chain: Chain) -> Chain:
    """``chain`` itself when it is on the CPU, else a CPU copy (the problem's chain stays where it is)."""
    tensors = [*chain.parameters(), *chain.buffers()]
    return chain if all(t.device.type == "cpu" for t in tensors) else copy.deepcopy(chain).cpu()
