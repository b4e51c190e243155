"""``--gif``: frames of G(w) during the solve, decoded with PIL (an independent GIF reader)."""

import io
import json

import numpy as np
import pytest
import torch
from PIL import Image

import invgen
from invgen.render.animation import FrameRecorder, frame_interval, gif_bytes
from invgen.problem.objective import Objective
from invgen.solvers.map import MAPSettings, solve_map


@pytest.mark.parametrize("steps, every", [(1, 1), (50, 1), (51, 2), (200, 4), (1000, 20)])
def test_frame_interval_gives_at_most_about_fifty_frames(steps, every):
    assert frame_interval(steps) == every
    assert steps / every <= 50


def test_the_recorder_keeps_g_of_w_every_few_steps_and_after_the_last(fake_manager):
    generator = invgen.generator("toy:size=16,layers=2")
    truth = generator(generator.map(torch.randn(1, 8, generator=torch.Generator().manual_seed(1))))
    forward = invgen.forward_model("test-blur:sigma=1")
    objective = Objective(generator, forward, [invgen.loss("test-sse")], [], forward(truth))
    seen: list[int] = []
    latents: list[torch.Tensor] = []
    recorder = FrameRecorder(generator, every=3, on_frame=lambda step, images: seen.append(step))

    def callback(progress):
        latents.append(progress.latent.clone())
        recorder.see(progress)

    solve_map(objective, MAPSettings(steps=10, lr=0.1), callback=callback)
    assert recorder.steps == seen == [3, 6, 9, 10]
    torch.testing.assert_close(recorder.frames_of(0)[1], generator.synthesize(latents[5])[0])


def test_the_gif_loops_over_the_frames_and_ends_on_the_result():
    frames = [torch.full((1, 8, 8), value) for value in (-1.0, 0.0)]
    final = torch.linspace(-1, 1, 64).view(1, 8, 8)
    gif = Image.open(io.BytesIO(gif_bytes(frames, final)))
    assert gif.n_frames == 3 and gif.size == (128, 128) and gif.info["loop"] == 0
    gif.seek(2)
    shown = np.asarray(gif.convert("L"))[::16, ::16].astype(int)
    expected = np.round((final[0].numpy() + 1) * 127.5).astype(int)
    assert np.abs(shown - expected).max() == 0


def test_run_gif_writes_the_animation_listed_in_run_json(tmp_path, fake_manager):
    from typer.testing import CliRunner

    from invgen.cli.app import create_app
    from invgen.io.images import save_image

    generator = invgen.generator("toy:size=16,layers=2")
    clean = tmp_path / "clean.png"
    save_image(clean, generator(generator.map(torch.randn(1, 8, generator=torch.Generator().manual_seed(3)))))
    out = tmp_path / "out"
    result = CliRunner().invoke(create_app(), ["run", "-g", "toy:size=16,layers=2", "--loss", "test-sse", "-f",
                                               "test-blur:sigma=1", "-i", str(clean), "-o", str(out), "--simulate",
                                               "--steps", "40", "--gif"])
    assert result.exit_code == 0, result.output
    assert "optimisation.gif" in json.loads((out / "run.json").read_text())["files"]
    gif = Image.open(out / "optimisation.gif")
    assert 2 <= gif.n_frames <= 41
    gif.seek(gif.n_frames - 1)
    assert np.array_equal(np.asarray(gif.convert("L"))[::8, ::8], np.asarray(Image.open(out / "reconstruction.png")))
