"""``invgen stylegan2 info|convert|sample|kernels``: inspect, convert and sample checkpoints; the C kernels' state."""

from __future__ import annotations

from pathlib import Path

import typer

from invgen.plugin import reported_errors

stylegan2_app = typer.Typer(help="StyleGAN2 checkpoints: info, convert, sample, train; the CPU's C kernels.",
                            no_args_is_help=True)


@stylegan2_app.command("info")
def info(file: Path = typer.Argument(..., help="An NVIDIA .pkl, rosinality .pt or invgen .safetensors file.")) -> None:
    """Show a checkpoint's format, resolution, channels, latent shape, parameter count and sha256."""
    from rich.console import Console
    from rich.table import Table

    from invgen_stylegan2.checkpoints.loading import load_checkpoint

    with reported_errors():
        summary = load_checkpoint(file).summary()
        table = Table(title=f"StyleGAN2 checkpoint {file.name}", title_justify="left", show_header=False)
        for key, value in summary.items():
            table.add_row(key, f"{value:,}" if key == "parameters" else str(value))
        Console().print(table)


@stylegan2_app.command("kernels")
def kernels() -> None:
    """Build (once) and load the C kernels of the CPU fast path, and say whether they are in use, or why not.

    Winograd's tile transforms are compiled on first use with the machine's C compiler (``cc``, or ``$CC``) and
    kept under ``$INVGEN_HOME/native``; without them the fast path computes the same in PyTorch operations,
    slower at 128-256 channels. ``INVGEN_NATIVE=0`` switches them off.
    """
    from invgen_stylegan2.fast import native

    typer.echo(f"C kernels (Winograd tile transforms): {native.status()}")


@stylegan2_app.command("convert")
def convert(source: Path = typer.Argument(..., help="A checkpoint in any supported format."),
            target: Path = typer.Argument(..., help="Where to write the .safetensors file."),
            overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing target.")) -> None:
    """Convert a checkpoint to invgen's .safetensors (weights + config; loads without pickle)."""
    from invgen.plugin import OutputExists, UsageError
    from invgen_stylegan2.checkpoints.loading import load_checkpoint, save_safetensors

    with reported_errors():
        if target.suffix != ".safetensors":
            raise UsageError(f"{target}: the target must end in .safetensors; give a .safetensors TARGET")
        if target.exists() and not overwrite:
            raise OutputExists(f"{target}: exists; pass --overwrite or choose another name")
        checkpoint = load_checkpoint(source)
        save_safetensors(checkpoint.network, checkpoint.config, target)
        typer.echo(f"wrote {target} ({checkpoint.format} -> safetensors)")


@stylegan2_app.command("sample")
def sample(generator: str = typer.Option(..., "--generator", "-g", help="A generator spec or a checkpoint file."),
           n: int = typer.Option(16, "--n", min=1, max=1024, help="Number of samples."),
           seed: int = typer.Option(0, "--seed", help="Seed of the latents."),
           truncation: float = typer.Option(1.0, "--truncation", min=0.0, max=1.0, help="Truncation psi."),
           out: Path = typer.Option(..., "--out", help="Where to write the PNG grid."),
           noise: str = typer.Option("const", "--noise", help="none, const or random."),
           device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu, cuda or cuda:N."),
           overwrite: bool = typer.Option(False, "--overwrite", help="Replace --out if it exists.")) -> None:
    """Write a grid of random samples."""
    import torch

    from invgen.plugin import OutputExists, UsageError, build_generator, grid_png, resolve_device, write_atomic

    with reported_errors():
        if out.suffix.lower() != ".png":
            raise UsageError(f"--out {out}: the grid is a PNG; give a name ending in .png")
        if out.exists() and not overwrite:
            raise OutputExists(f"{out}: exists; pass --overwrite or choose another name")
        target = resolve_device(device)
        spec = f"stylegan2:weights={_quote(generator)},noise={noise}" if Path(generator).is_file() else generator
        model = build_generator(spec).to(target)
        z = torch.randn(n, model.z_dim, generator=torch.Generator().manual_seed(seed)).to(target)
        with torch.no_grad():
            images = model.synthesize(model.map(z, truncation=truncation)).cpu()
        write_atomic(out, grid_png(images))
        typer.echo(f"wrote {out} ({n} samples of {model.spec})")


def _quote(path: str) -> str:
    from invgen.plugin import quote_value

    return quote_value(path)


@stylegan2_app.command("train")
def train(data: str = typer.Option(..., "--data", help="mnist5k, a folder of images, or an .npz with 'images'."),
          out: Path = typer.Option(..., "--out", help="Run folder: checkpoints, sample grids, log."),
          resolution: int = typer.Option(32, "--resolution", help="Image size (power of two)."),
          channels: int = typer.Option(1, "--channels", help="Image channels."),
          config: str = typer.Option("small", "--config", help="Network size: small or tiny."),
          kimg: float = typer.Option(100.0, "--kimg", min=0.001, help="Train until this many thousand images."),
          conditional: bool = typer.Option(True, "--conditional/--unconditional",
                                           help="Class-conditional G and D when the data has labels."),
          batch: int = typer.Option(32, "--batch", min=2),
          lr: float = typer.Option(0.002, "--lr"),
          gamma: float = typer.Option(4.0, "--gamma", help="R1 weight."),
          translate: int = typer.Option(3, "--translate", help="Max random translation (px) of what D sees."),
          precision: str = typer.Option("fp32", "--precision", help="fp32, or bf16 autocast (AMX CPUs)."),
          seed: int = typer.Option(0, "--seed"),
          checkpoint_minutes: float = typer.Option(5.0, "--checkpoint-minutes", min=0.0),
          device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu, cuda or cuda:N; "
                                                              "a run may resume on another device."),
          resume: bool = typer.Option(False, "--resume", help="Continue the run in --out from its checkpoint.")) -> None:
    """Train a StyleGAN2 with this plugin's network (exact resume from checkpoints)."""
    from invgen.plugin import InputError, OutputExists, SpecError, resolve_device
    from invgen_stylegan2.train.data import load_source
    from invgen_stylegan2.train.loop import CONFIGS, TrainSettings, Trainer, load_checkpoint_state
    from invgen_stylegan2.train.progress import progress_display
    from invgen_stylegan2.train.loop import train as run_training

    with reported_errors():
        if config not in CONFIGS:
            raise SpecError(f"unknown --config {config!r} (choose from {', '.join(CONFIGS)})")
        if precision not in ("fp32", "bf16"):
            raise SpecError(f"--precision must be fp32 or bf16, not {precision!r}")
        if resume:
            if not (out / "checkpoint.pt").is_file():
                raise InputError(f"{out}: no checkpoint.pt to resume from; drop --resume to start a new run")
            state = load_checkpoint_state(out)
            settings = TrainSettings(**state["settings"])
        elif (out / "checkpoint.pt").exists():
            raise OutputExists(f"{out}: holds a run already; pass --resume or choose another --out")
        dataset = load_source(data, resolution if not resume else settings.resolution,
                              channels if not resume else settings.channels)
        if not resume:
            classes = dataset.num_classes if conditional else 0
            settings = TrainSettings(resolution=resolution, channels=channels, config=config, c_dim=classes,
                                     batch=batch, lr=lr, r1_gamma=gamma, translate=translate, precision=precision,
                                     seed=seed)
        trainer = Trainer(settings, dataset, resolve_device(device))
        if resume:
            trainer.load_state_dict(state)
        with progress_display(kimg, trainer.stats) as on_step:
            stats = run_training(trainer, out, kimg, checkpoint_minutes, on_step=on_step)
        typer.echo(f"stopped at {stats.kimg:.2f} kimg after {stats.seconds / 60:.1f} min of training; "
                   f"checkpoint in {out}")
