"""SIGTERM stops like Ctrl-C, and a signal during a write waits for the write (real signals, real processes)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from invgen.runtime.signals import stop_signals, terminate_as_interrupt


def test_a_signal_outside_the_solve_waits_until_the_write_is_done():
    before = signal.getsignal(signal.SIGINT)
    with stop_signals() as stops:  # results being written: nothing may cut the write
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        finished = True
    assert finished and stops.received == [signal.SIGTERM, signal.SIGINT] and bool(stops)
    assert signal.getsignal(signal.SIGINT) is before


def test_while_solving_the_first_signal_raises_and_a_second_is_held():
    with stop_signals() as stops:
        with stops.solve_phase():
            with pytest.raises(KeyboardInterrupt):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)
            os.kill(os.getpid(), signal.SIGINT)  # a second quick Ctrl-C: held
            time.sleep(0.05)
        finished = True
    assert finished and stops.received == [signal.SIGINT, signal.SIGINT]


def test_sigterm_becomes_keyboard_interrupt():
    previous = signal.getsignal(signal.SIGTERM)
    try:
        terminate_as_interrupt()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_stop_during_the_vi_warm_start_keeps_the_warm_start(fake_manager, monkeypatch):
    import invgen
    from invgen.problem.objective import Objective
    from invgen.solvers.vi import VISettings, solve_vi

    generator = invgen.generator("toy:size=16,layers=2")
    truth = generator(generator.map(torch.randn(1, 8, generator=torch.Generator().manual_seed(1))))
    forward = invgen.forward_model("test-blur:sigma=1")
    objective = Objective(generator, forward, [invgen.loss("test-sse")], [], forward(truth))
    calls = {"n": 0}
    evaluate = Objective.evaluate

    def stopping(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return evaluate(self, *args, **kwargs)
    monkeypatch.setattr(Objective, "evaluate", stopping)
    found = solve_vi(objective, VISettings(steps=50, map_steps=100), num_samples=3)
    assert found.interrupted and found.map.interrupted and found.history["elbo"] == []
    assert found.samples.shape == (1, 3, 1, 16, 16) and torch.isfinite(found.samples).all()


@pytest.mark.parametrize("stops", [[signal.SIGTERM], [signal.SIGINT], [signal.SIGINT, signal.SIGINT]],
                         ids=["SIGTERM", "Ctrl-C", "two quick Ctrl-Cs"])
def test_a_stopped_run_writes_its_best_result_and_exits_130(tmp_path, fake_manager, installed_fakes, stops):
    import invgen
    from invgen.io.images import save_image

    generator = invgen.generator("toy:size=16,layers=2")
    save_image(tmp_path / "image0.png", generator(generator.map(torch.randn(1, 8))))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "invgen", "run", "-g", "toy:size=16,layers=2", "-f", "test-blur:sigma=1",
               "--loss", "test-sse", "--simulate", "--steps", "1000000", "-i", str(tmp_path / "image0.png"),
               "-o", str(out)]
    process = subprocess.Popen(command, env=installed_fakes, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(8)  # past start-up, into the optimisation
    for stop in stops:
        process.send_signal(stop)
        time.sleep(0.01)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err[-2000:]
    record = json.loads((out / "run.json").read_text())
    assert record["interrupted"] is True and (out / "reconstruction.png").is_file()
    assert "Traceback" not in err
