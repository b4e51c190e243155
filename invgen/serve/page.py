"""The ``invgen serve`` page (gradio): an image, a painted mask and a corruption chain in; a MAP estimate or
posterior samples with their uncertainty out, live, with the result folder as a zip and the command line."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any, Iterator

import gradio as gr

from invgen.registry.manager import registry
from invgen.registry.table import MASK_FILE, ComponentInfo
from invgen.runtime.reporting import one_line
from invgen.registry.paths import path_values
from invgen.serve.chain import chain_lines, spec_from_widgets, upload_name, widget_kind, widget_label
from invgen.serve.jobs import LiveRun, Request, Upload, Workspace, painted_mask, private, read_upload, run_job

DEFAULT = "default"  # the preset choice that lets the forward model, the generator or the method decide
POLL_S = 0.3  # seconds between live updates while a job runs
CSS = """
#invgen-image img, #invgen-results img, #invgen-samples img {
  image-rendering: pixelated; width: 100%; height: 100%; object-fit: contain;
}
#invgen-paint canvas { image-rendering: pixelated; }
"""  # small images (32-px digits) shown large, their pixels as sharp squares
HOW_TO = """# invgen: reconstruct an image with a pre-trained generator
1. **Image**: upload one or click an example.
2. **Hide** (optional): paint over the pixels the model should fill in.
3. **Corrupt** (optional): add corruptions to the chain. With *simulate* your image is the clean one and is
   corrupted first (the result is then scored against it); otherwise it is the observation.
4. **Run MAP** for the most plausible image, or **Run VI** for several plausible ones and a map of where the
   model is unsure. Each result downloads as a zip with the command line that repeats it."""


class Server:
    """The page's state across requests: the workspace, loaded generators and each browser's running job."""

    def __init__(self, workspace: Workspace, device: str) -> None:
        self.workspace = workspace
        self.device = device
        self.examples: set[Path] = set()  # the registered examples, which the page may read too
        self.generators: dict[str, Any] = {}
        self.live: dict[str, LiveRun] = {}
        self.workers: set[threading.Thread] = set()
        self.lock = threading.Lock()  # one generator build at a time

    def received(self, path: str | None) -> str | None:
        """``path`` if the page may read it (an upload, which gradio keeps in the server's folder, or one of the
        examples); None for anything else a crafted request names."""
        if path is None:
            return None
        where = Path(path).resolve()
        return str(where) if where.is_relative_to(self.workspace.root.resolve()) or where in self.examples else None

    def shutdown(self, timeout_s: float = 30.0) -> None:
        """Stop every running solve at its next step and wait for it, so the server never exits under a solve."""
        for live in list(self.live.values()):
            live.stop.set()
        for worker in list(self.workers):
            worker.join(timeout_s)

    def stop(self, request: gr.Request) -> str:
        live = self.live.get(request.session_hash or "")
        if live is None:
            return "nothing is running"
        live.stop.set()
        return "stopping at the next step; the best result so far will be shown"

    def run(self, method: str, upload: Upload | None, painting: dict | None, generator: str, chain: str,
            simulate: bool, map_preset: str, vi_preset: str, steps: float, lr: float, samples: float, seed: float,
            starts: float, uploads: dict[str, str] | None, request: gr.Request) -> Iterator[tuple]:
        if upload is None:
            yield _status("Upload an image or click an example first.")
            return
        preset = map_preset if method == "map" else vi_preset
        mask_model = registry().with_role("forward", MASK_FILE)
        lines, uploads = chain_lines(chain), uploads or {}
        named = {name for spec in lines for name in path_values("forward", spec).values()}
        named |= set(path_values("generator", generator.strip()).values())
        job = Request(generator.strip(), tuple(lines), bool(simulate), method,
                      None if preset == DEFAULT else preset, int(steps), float(lr), int(samples), int(seed),
                      None if mask_model is None else mask_model.name, int(starts),
                      tuple((name, uploads[name]) for name in sorted(named) if name in uploads))  # others: refused
        mask = painted_mask(list((painting or {}).get("layers") or []), upload)
        live = LiveRun()
        self.live[request.session_hash or ""] = live
        outcome: dict[str, Any] = {}
        worker = threading.Thread(target=self._work, args=(upload, mask, job, live, outcome), daemon=True)
        self.workers.add(worker)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(POLL_S)
                yield _progress(method, live)
        finally:
            live.stop.set()  # the browser went away: end the solve at its next step
            self.live.pop(request.session_hash or "", None)
        if "error" in outcome:
            yield _status(f"**Failed**: {outcome['error']}")
            return
        yield _finished(outcome["finished"], method)

    def _work(self, upload: Upload, mask: Any, job: Request, live: LiveRun, outcome: dict[str, Any]) -> None:
        folder: Path | None = None
        try:
            with self.lock:
                folder = self.workspace.new_job()
            outcome["finished"] = run_job(folder, upload, mask, job, live, self.generators, self.device)
        except BaseException as error:  # noqa: BLE001 - every failure becomes the page's one-line message
            outcome["error"] = one_line(error) if folder is None else private(one_line(error), folder)
        finally:
            self.workers.discard(threading.current_thread())


OUTPUTS = ("status", "observation", "reconstruction", "prediction", "posterior", "samples", "mean", "std",
           "modes_row", "modes", "animation", "comparison", "archive", "command")


def _updates(**values: Any) -> tuple:
    """One value (or ``gr.update()``: unchanged) per output, in :data:`OUTPUTS` order."""
    return tuple(values.get(name, gr.update()) for name in OUTPUTS)


def _status(text: str) -> tuple:
    return _updates(status=text)


def _progress(method: str, live: LiveRun) -> tuple:
    latest = live.latest
    if latest is None:
        return _status(f"{method.upper()}: starting (loading the generator, VI's MAP warm start) ...")
    text = f"{method.upper()}: step {latest.step}/{latest.steps}, objective {latest.total:.5g}"
    if live.preview is None:
        return _status(text)
    from invgen.io.images import to_uint8

    return _updates(status=text, reconstruction=to_uint8(live.preview))


def _finished(done: Any, method: str) -> tuple:
    record, results = done.record, done.results
    lines = [f"**Done** in {record['timings_s']['solve']:.1f} s" +
             (" (stopped early: the best result so far)" if record.get("interrupted") else "")]
    metrics = record.get("metrics", {})
    if "psnr" in metrics:
        lines.append(f"against your image: PSNR {metrics['psnr'][0]:.2f} dB" +
                     (f", SSIM {metrics['ssim'][0]:.3f}" if "ssim" in metrics else ""))
    spread = record.get("posterior", {})
    if "mean_std_unknown" in spread:
        lines.append(f"posterior std: {spread['mean_std_unknown']:.3f} where hidden, "
                     f"{spread['mean_std_known']:.3f} where known")
    if "psnr_samples_vs_observation" in spread:
        lines.append(f"the samples fit the observation at {spread['psnr_samples_vs_observation']:.1f} dB")
    lines += [f"warning: {text}" for text in record.get("warnings", [])]
    files = set(record["files"])
    sampled = method in ("vi", "mcmc")
    reconstruction = "posterior_mean.png" if sampled else "reconstruction.png"
    samples = sorted(str(results / name) for name in files if name.startswith("sample_"))
    modes = [(str(results / mode["file"]), f"mode {rank + 1}: objective {mode['objective']:.3g}"
              + (f", probability {mode['probability']:.3f}" if mode.get("probability") is not None else "")
              + (f", fit {mode['fit_db']:.1f} dB" if mode["fit_db"] is not None else ""))
             for rank, mode in enumerate(record.get("modes", []))]
    return _updates(
        status="  \n".join(lines),
        observation=str(results / "observation.png"),
        reconstruction=str(results / reconstruction),
        prediction=str(results / "prediction.png"),
        posterior=gr.update(visible=sampled),
        samples=samples or None,
        mean=str(results / "posterior_mean.png") if sampled else None,
        std=str(results / "posterior_std.png") if sampled else None,
        modes_row=gr.update(visible=bool(modes)),
        modes=modes or None,
        animation=str(results / "optimisation.gif") if "optimisation.gif" in files else None,
        comparison=str(results / "comparison.png"),
        archive=str(done.archive),
        command=done.command,
    )


def _chain_builder(chain: gr.Textbox, uploads: gr.State, server: Server) -> None:
    """A dropdown of the registered forward models; each one's parameters as typed widgets and an add button."""
    forward = registry().components["forward"]
    names = sorted(forward)
    picked = gr.Dropdown(names, value=names[0] if names else None, label="corruption to add",
                         info="every installed forward model, with its parameters", elem_id="invgen-add-kind")
    groups = []
    for name in names:
        info = forward[name]
        with gr.Group(visible=name == picked.value) as group:
            gr.Markdown(f"**{name}**: {info.summary} ({info.plugin})")
            widgets = [_widget(param, f"invgen-{name}-{param.name}") for param in info.params]
            add = gr.Button(f"add {name} to the chain", size="sm", elem_id=f"invgen-add-{name}")
            add.click(_adder(info, server), inputs=[chain, uploads, *widgets], outputs=[chain, uploads], queue=False)
        groups.append(group)
    picked.change(lambda chosen: [gr.update(visible=n == chosen) for n in names], inputs=[picked], outputs=groups,
                  queue=False)


def _widget(param: Any, elem_id: str) -> gr.components.Component:
    label, info = widget_label(param), param.doc or None
    kind = widget_kind(param)
    if kind == "number":
        return gr.Number(value=param.default, label=label, info=info, minimum=param.min, maximum=param.max,
                         precision=0 if param.kind == "int" else None)
    if kind == "checkbox":
        return gr.Checkbox(value=bool(param.default), label=label, info=info)
    if kind == "dropdown":
        return gr.Dropdown(list(param.choices), value=param.default, label=label, info=info)
    if kind == "file":
        return gr.File(label=label, type="filepath", file_count="single", elem_id=elem_id)
    return gr.Textbox(value="" if param.default is None else param.format(param.default), label=label, info=info)


def _adder(info: ComponentInfo, server: Server) -> Any:
    """The add button: the spec from the widgets, its files kept as this session's uploads and named by their
    own names (the chain box never shows where the server keeps them)."""
    def add(chain: str, uploads: dict[str, str] | None, *values: Any) -> tuple[str, dict[str, str]]:
        uploads = dict(uploads or {})
        given = list(values)
        for index, param in enumerate(info.params):
            if widget_kind(param) == "file" and given[index] is not None:
                kept = server.received(given[index])
                if kept is None:
                    gr.Warning("that file was not uploaded to this page; upload it again")
                    return chain, uploads
                name = upload_name(kept, uploads)
                uploads[name], given[index] = kept, name
        try:
            spec = spec_from_widgets(info, given)
        except Exception as error:  # noqa: BLE001 - shown on the page, the chain unchanged
            gr.Warning(one_line(error))
            return chain, uploads
        return "\n".join([*chain_lines(chain), spec]), uploads
    return add


def _loader(server: Server) -> Any:
    def load(path: str | None) -> tuple[Upload | None, Any, str]:
        return _load_upload(server.received(path) if path is not None else None, path is not None)
    return load


def _load_upload(path: str | None, given: bool = False) -> tuple[Upload | None, Any, str]:
    if path is None:
        return None, None, "**Cannot use this image**: it was not uploaded to this page" if given else ""
    try:
        upload = read_upload(path)
    except Exception as error:  # noqa: BLE001 - shown on the page
        return None, None, f"**Cannot use this image**: {one_line(error)}"
    canvas = upload.canvas()
    note = f"{upload.pixels.shape[1]}x{upload.pixels.shape[0]} pixels" + (f", {upload.note}" if upload.note else "")
    return upload, {"background": canvas, "layers": [], "composite": canvas}, note


def build_page(server: Server, generator: str | None) -> gr.Blocks:
    """The page, its widgets built from the registry (generators, forward models, presets, examples)."""
    found = registry()
    generators = sorted(found.components["generator"])
    examples = [(example, name) for name in generators for example in found.examples_for(name)]
    default = generator or (examples[0][1] if examples else generators[0] if generators else "")
    presets = [DEFAULT, *sorted(found.presets)]
    server.examples |= {Path(example.path).resolve() for example, _ in examples}
    with gr.Blocks(title="invgen serve") as page:
        gr.Markdown(HOW_TO)
        upload = gr.State(None)
        uploads = gr.State({})  # this session's files for specs: the name shown -> where the server keeps it
        with gr.Row():
            with gr.Column(scale=1):
                image = gr.File(label="1. Image (your observation, or with simulate the clean image)",  # gr.Image
                                type="filepath", file_types=["image"], height=140,  # would decode it unchecked
                                elem_id="invgen-image")
                note = gr.Markdown("", elem_id="invgen-upload-note")
                if examples:
                    gr.Examples([[str(e.path)] for e, _ in examples], inputs=[image], label="examples",
                                example_labels=[f"{e.name} ({g})" for e, g in examples], examples_per_page=12)
            with gr.Column(scale=1):
                painting = gr.ImageEditor(label="2. Paint over the pixels to hide (optional)", type="numpy",
                                          image_mode="RGBA", format="png", sources=[], transforms=[], layers=False,
                                          brush=gr.Brush(colors=["#ff2a6d"], color_mode="fixed", default_size=16),
                                          eraser=gr.Eraser(default_size=16), height=360, elem_id="invgen-paint")
            with gr.Column(scale=1):
                gr.Markdown("**3. Generator, corruption and solver**")
                generator_box = gr.Dropdown(generators, value=default, label="generator", allow_custom_value=True,
                                            elem_id="invgen-generator",
                                            info="a registered name or a spec such as stylegan2:weights=FILE")
                simulate = gr.Checkbox(value=True, label="simulate: my image is clean; corrupt it first and score "
                                                         "the result against it")
                chain = gr.Textbox(label="corruption chain (one spec per line; the painted mask comes first)",
                                   lines=3, placeholder="nothing: identity", elem_id="invgen-chain")
                with gr.Accordion("add a corruption", open=False):
                    _chain_builder(chain, uploads, server)
                with gr.Row():
                    map_preset = gr.Dropdown(presets, value=DEFAULT, label="MAP objective",
                                             info="default: the generator's own (see invgen list presets)")
                    vi_preset = gr.Dropdown(presets, value=DEFAULT, label="VI objective",
                                            info="default: the generator's own proper posterior")
                steps = gr.Slider(10, 2000, value=200, step=10, label="steps")
                starts = gr.Slider(1, 16, value=1, step=1, label="starts",
                                   info="several starts: MAP ranks the images that explain the observation; "
                                        "VI fits a mixture and samples all of its components")
                with gr.Row():
                    lr = gr.Number(value=0.05, label="learning rate", minimum=0.0001, maximum=1.0)
                    samples = gr.Slider(2, 32, value=8, step=1, label="VI samples")
                    seed = gr.Number(value=0, label="seed", precision=0, minimum=0)
        with gr.Row():
            run_map = gr.Button("Run MAP", variant="primary", elem_id="invgen-run-map")
            run_vi = gr.Button("Run VI (samples and uncertainty)", variant="primary", elem_id="invgen-run-vi")
            stop = gr.Button("Stop", variant="stop", elem_id="invgen-stop")
        status = gr.Markdown("", elem_id="invgen-status")
        with gr.Row(elem_id="invgen-results"):
            observation = gr.Image(label="observation", interactive=False, height=220, elem_id="invgen-observation")
            reconstruction = gr.Image(label="reconstruction (live)", interactive=False, height=220,
                                      elem_id="invgen-reconstruction")
            prediction = gr.Image(label="f(reconstruction): should match the observation", interactive=False,
                                  height=220, elem_id="invgen-prediction")
            animation = gr.Image(label="the optimisation", interactive=False, height=220, elem_id="invgen-animation")
        with gr.Row(visible=False, elem_id="invgen-samples") as posterior:
            samples_gallery = gr.Gallery(label="posterior samples", columns=4, height=300, scale=2,
                                         elem_id="invgen-gallery")
            mean = gr.Image(label="posterior mean", interactive=False, height=260, elem_id="invgen-mean")
            std = gr.Image(label="uncertainty: posterior std per pixel", interactive=False, height=260,
                           elem_id="invgen-std")
        with gr.Row(visible=False) as modes_row:
            modes_gallery = gr.Gallery(label="modes, best first (several starts)", columns=6, height=260,
                                       elem_id="invgen-modes")
        comparison = gr.Image(label="side by side", interactive=False, elem_id="invgen-comparison")
        with gr.Row():
            archive = gr.File(label="result folder (.zip: the same files and run.json as invgen run)",
                              elem_id="invgen-zip")
            command = gr.Code(label="the same run from the command line (in the unpacked zip's folder)", wrap_lines=True,
                              language="shell", elem_id="invgen-command")

        image.change(_loader(server), inputs=[image], outputs=[upload, painting, note], queue=False)
        outputs = [status, observation, reconstruction, prediction, posterior, samples_gallery, mean, std,
                   modes_row, modes_gallery, animation, comparison, archive, command]
        settings = [upload, painting, generator_box, chain, simulate, map_preset, vi_preset, steps, lr, samples, seed,
                    starts, uploads]
        for button, method in ((run_map, "map"), (run_vi, "vi")):
            button.click(_bound(server, method), inputs=settings, outputs=outputs, concurrency_limit=1,
                         concurrency_id="solve", show_progress="minimal")
        stop.click(server.stop, inputs=None, outputs=[status], queue=False)
    return page


def _bound(server: Server, method: str) -> Any:
    def run(upload: Upload | None, painting: dict | None, generator: str, chain: str, simulate: bool,
            map_preset: str, vi_preset: str, steps: float, lr: float, samples: float, seed: float, starts: float,
            uploads: dict[str, str] | None, request: gr.Request) -> Iterator[tuple]:
        yield from server.run(method, upload, painting, generator, chain, simulate, map_preset, vi_preset, steps,
                              lr, samples, seed, starts, uploads, request)
    return run


def theme() -> Any:
    """The default look with system fonts (no font downloads: the page works offline)."""
    return gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                             font_mono=["ui-monospace", "monospace"])


def launch(page: gr.Blocks, server: Server, host: str, port: int, max_upload: int) -> bool:
    """Serve ``page`` until Ctrl-C or SIGTERM: one solve at a time (others wait in the queue), uploads limited to
    ``max_upload`` bytes, never shared through gradio's public tunnel (whatever ``GRADIO_SHARE`` says). A stop
    ends the running solve at its next step and waits for it before the server closes (a solve cut off by the
    interpreter's exit aborts the process). Returns True when a signal stopped it."""
    page.queue(default_concurrency_limit=1, max_size=32)
    page.launch(server_name=host, server_port=port, max_file_size=max_upload, theme=theme(), css=CSS,
                allowed_paths=[str(server.workspace.root)], show_error=True, quiet=False, footer_links=[],
                share=False, prevent_thread_lock=True)
    stopped = threading.Event()
    previous = {number: signal.signal(number, lambda *_: stopped.set()) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopped.wait(0.2) and page.is_running:
            pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        server.shutdown()
        page.close()
    return stopped.is_set()
