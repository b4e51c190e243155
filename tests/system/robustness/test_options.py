"""Bad options of every command: one line naming the option, exit 2, nothing written."""

import pytest

RUN_OPTIONS = [  # (options added to a valid `invgen run`, message)
    (["--steps", "0"], r"Invalid value for '--steps': Input should be greater than or equal to 1"),
    (["--steps", "-5"], r"'--steps'"),
    (["--steps", "many"], r"'--steps': Input should be a valid integer"),
    (["--steps", "1.5"], r"'--steps'"),
    (["--lr", "nan"], r"'--lr': must be a finite number > 0, not nan"),
    (["--lr", "inf"], r"'--lr': must be a finite number > 0, not inf"),
    (["--lr", "0"], r"'--lr': must be a finite number > 0"),
    (["--lr", "-0.1"], r"'--lr': must be a finite number > 0"),
    (["--lr", "fast"], r"'--lr'"),
    (["--method", "hmc"], r"unknown --method 'hmc' \(choose map, vi or mcmc\)"),
    (["--method", "vi", "--samples", "1"], r"'--samples': Input should be greater than or equal to 2"),
    (["--method", "vi", "--samples", "100000"], r"'--samples'"),
    (["--method", "vi", "--basis", "pca"], r"basis must be one of latent, data, not 'pca'"),
    (["--schedule", "linear"], r"schedule must be one of constant, cosine, not 'linear'"),
    (["--precision", "fp16"], r"precision must be one of fp32, bf16, not 'fp16'"),
    (["--device", "tpu"], r"unknown device 'tpu': use auto, cpu, cuda or cuda:N"),
    (["--device", "cuda:7"], r"no CUDA GPU is available: use --device cpu or auto"),
    (["--batch", "0"], r"'--batch': Input should be greater than or equal to 1"),
    (["--crop", "1,2,3"], r"--crop '1,2,3': give center or a box x0,y0,x1,y1 in pixels"),
    (["--window", "40"], r"--window '40': give CENTER,WIDTH in the file's units"),
    (["--window", "40,-1"], r"--window '40,-1': the width must be > 0"),
    (["--window", "nan,400"], r"--window 'nan,400': give finite numbers"),
    (["--window", "40,inf"], r"--window '40,inf': give finite numbers"),
    (["--shard", "2/2"], r"--shard: shard 2 of 2 is impossible; the index must be in 0..1"),
    (["--shard", "a/b"], r"--shard 'a/b': write I/N with 0 <= I < N"),
    (["--colour"], r"No such option: --colour"),
]


@pytest.mark.parametrize("options, message", RUN_OPTIONS, ids=[" ".join(case[0]) for case in RUN_OPTIONS])
def test_bad_run_options(files, tmp_path, run, refused, options, message):
    out = tmp_path / "out"
    refused([*run, "-f", "downsample:factor=4", "-i", files["digit.png"], "--simulate", "-o", out, *options], 2,
            message, out)


def test_a_crop_box_outside_the_image_is_an_input_error(files, tmp_path, run, refused):
    out = tmp_path / "out"
    refused([*run, "-i", files["digit.png"], "-o", out, "--crop", "10,10,5,5"], 1,
            r"--crop 10,10,5,5 lies outside its 32x32 pixels; give a box inside the image", out)


def test_missing_required_options(refused):
    refused(["run", "-g", "stylegan2-mnist32"], 2, r"Missing option '--input' / '-i'")
    refused(["run", "-i", "x.png", "-o", "out"], 2, r"Missing option '--generator' / '-g'")


def test_an_unknown_command_suggests_help(refused):
    refused(["reconstruct"], 2, r"No such command 'reconstruct'. \(see `invgen --help`\)")


@pytest.mark.parametrize("args, code, message", [
    (["eval", "-g", "stylegan2-mnist32", "--data", "nothing-registered", "-t", "sr4", "-m", "pixel", "-o", "{out}"],
     1, r"nothing-registered: not a folder of images nor a registered dataset \(known: mnist5k-holdout"),
    (["eval", "-g", "stylegan2-mnist32", "--data", "mnist5k-holdout", "-t", "sr5", "-m", "pixel", "-o", "{out}"],
     2, r"sr5"),
    (["eval", "-g", "stylegan2-mnist32", "--data", "mnist5k-holdout", "-t", "sr4", "-m", "magic", "-o", "{out}"],
     2, r"unknown method 'magic'"),
    (["eval", "-g", "stylegan2-mnist32", "--data", "mnist5k-holdout", "-t", "sr4", "-m", "pixel", "--lr", "nan",
      "-o", "{out}"], 2, r"'--lr': must be a finite number"),
    (["corrupt", "-f", "blur:sigma=0", "-i", "{digit}", "-o", "{out}.png"], 2, r"sigma=0 is invalid"),
    (["corrupt", "-f", "noise:std=0.1", "-i", "{digit}", "-o", "{out}.png"], 2, r"clip|\.npz"),
    (["list", "cars"], 2, r"unknown kind 'cars' for `invgen list`"),
    (["weights", "add", "no-such-model", "{digit}"], 1, r"unknown weights 'no-such-model' \(known: brgm-brains"),
    (["stylegan2", "sample", "-g", "stylegan2-mnist32", "--out", "{out}.txt"], 2, r"give a name ending in .png"),
    (["stylegan2", "sample", "-g", "stylegan2-mnist32", "--n", "0", "--out", "{out}.png"], 2, r"'--n'"),
    (["index", "merge", "{out}"], 1, r"index|invgen run"),
    (["serve", "--port", "0"], 2, r"'--port'"),
    (["serve", "--max-upload", "abc"], 2, r"--max-upload 'abc': give a size such as 10mb"),
    (["serve", "--max-upload", "-3mb"], 2, r"--max-upload '-3mb': give a size"),
    (["bench", "-g", "stylegan2-mnist32", "-w", "nonsense", "-b", "1"], 2,
     r"workload 'nonsense': use synthesis, map or a preset \(unknown preset 'nonsense'"),
])
def test_bad_options_of_the_other_commands(files, tmp_path, refused, args, code, message):
    out = tmp_path / "out"
    filled = [arg.format(out=out, digit=files["digit.png"]) for arg in args]
    refused(filled, code, message)
    assert not any(tmp_path.glob("out*"))


@pytest.mark.parametrize("name, content, message", [
    ("stylegan2-ffhq", b"notes, not weights", r"not usable as 'stylegan2-ffhq' \(.*unknown file format"),
    ("brgm-xray", "mnist32", r"not usable as 'brgm-xray' \(.*is 32px with 1 channels, but brgm-xray should be "
                             r"1024px with 1"),
    ("lpips-vgg16", b"notes", r"not usable as 'lpips-vgg16' \(not a safetensors or torch weights file"),
    ("lpips-alexnet", "vgg16", r"not usable as 'lpips-alexnet' \(its features.0.weight is \[64, 3, 3, 3\], the "
                               r"ImageNet alexnet's is \[64, 3, 11, 11\]\)"),
])
def test_weights_add_checks_what_the_file_holds(tmp_path, monkeypatch, refused, name, content, message):
    from invgen_stylegan2.models.catalog import embedded_path

    monkeypatch.setenv("INVGEN_HOME", str(tmp_path / "home"))
    if content == "mnist32":
        source = embedded_path()
    elif content == "vgg16":
        import torch
        from safetensors.torch import save_file

        source = tmp_path / "vgg.safetensors"
        save_file({"features.0.weight": torch.zeros(64, 3, 3, 3)}, source)
    else:
        source = tmp_path / "file.bin"
        source.write_bytes(content)
    refused(["weights", "add", name, source], 1, message)
    assert not (tmp_path / "home" / "weights").exists() or not any((tmp_path / "home" / "weights").iterdir())


def test_weights_add_accepts_a_file_that_passes_the_check(tmp_path, monkeypatch):
    import torch
    from safetensors.torch import save_file

    from invgen.testing.cli import invoke

    monkeypatch.setenv("INVGEN_HOME", str(tmp_path / "home"))
    source = tmp_path / "alexnet.safetensors"
    save_file({"features.0.weight": torch.zeros(64, 3, 11, 11), "features.0.bias": torch.zeros(64)}, source)
    result = invoke("weights", "add", "lpips-alexnet", source)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("line", ['{"x": 1}', '[1, 2]', '"name"', '{"name": 7}'])
def test_index_merge_names_the_damaged_line_of_a_shard_file(tmp_path, refused, line):
    out = tmp_path / "out"
    (out / "index").mkdir(parents=True)
    (out / "index" / "inputs.json").write_text('[{"input": "a.png", "name": "a"}]')
    (out / "index" / "shard-0of1.jsonl").write_text('{"name": "a", "status": "ok"}\n' + line + "\n")
    refused(["index", "merge", out], 1, r"shard-0of1.jsonl:2: not an index row \(it has no input name\)")
    assert not (out / "index.csv").exists()


def test_index_merge_names_a_damaged_input_list(tmp_path, refused):
    out = tmp_path / "out"
    (out / "index").mkdir(parents=True)
    (out / "index" / "inputs.json").write_text('[{"input": "a.png"}]')
    refused(["index", "merge", out], 1, r"inputs.json: damaged \(each entry needs an input and a name\)")
