"""Bad specs of every kind of component, and chains that cannot apply: refused before any compute."""

import pytest

FORWARD = [  # (--forward spec, exit code, message)
    ("blurr:sigma=2", 2, r"unknown forward model 'blurr': did you mean 'blur'"),
    ("", 2, r"empty spec: give a component name such as 'blur' or 'blur:sigma=2'"),
    ("blur", 2, r"blur: parameter 'sigma' is required \(a float > 0 and <= 100\)"),
    ("blur:sigma=0", 2, r"blur: sigma=0 is invalid \(expected a float > 0 and <= 100\)"),
    ("blur:sigma=-1", 2, r"sigma=-1 is invalid"),
    ("blur:sigma=nan", 2, r"sigma=nan is invalid"),
    ("blur:sigma=inf", 2, r"sigma=inf is invalid"),
    ("blur:sigma=1e400", 2, r"sigma=1e400 is invalid"),
    ("blur:sigma=two", 2, r"sigma=two is invalid"),
    ("blur:sigma=2,sigma=3", 2, r"cannot parse spec 'blur:sigma=2,sigma=3': parameter 'sigma' is given twice"),
    ("blur:radius=2", 2, r"blur: unknown parameter 'radius' \(valid parameters: sigma, size, border\)"),
    ("blur:sigma=2,border=mirror", 2, r"border=mirror is invalid \(expected one of reflect\|replicate"),
    ("blur:sigma=2,size=4", 2, r"size must be odd"),
    ("blur:sigma=100", 2, r"'blur:sigma=100' cannot take 1x32x32 images: a 601x601 kernel is more than twice"),
    ("blur:sigma=2,size=401,border=zeros", 2, r"401x401 kernel is more than twice the size of 32x32 images"),
    ("blur:sigma=[1,2]", 2, r"sigma=\[1,2\] is invalid"),
    ("blur:sigma=2,", 2, r"cannot parse spec 'blur:sigma=2,': expected key=value, found '' with no '='"),
    ("blur:sigma=(2", 2, r"blur: sigma=\(2 is invalid \(expected a float > 0 and <= 100\)"),
    ("blur::sigma=2", 2, r"cannot parse spec 'blur::sigma=2': ':sigma' is not a valid parameter name"),
    ("blur:=2", 2, r"cannot parse spec 'blur:=2': '' is not a valid parameter name"),
    ("downsample:factor=3", 2, r"'downsample:factor=3' cannot take 1x32x32 images: factor 3 does not divide"),
    ("downsample:factor=64", 2, r"cannot take 1x32x32 images: factor 64 does not divide the image size 32x32"),
    ("downsample:factor=1", 2, r"factor=1 is invalid \(expected an int >= 2"),
    ("downsample:factor=2.5", 2, r"factor=2.5 is invalid"),
    ("downsample:mode=nearest", 2, r"mode=nearest is invalid \(expected one of area\|bicubic\|bilinear\)"),
    ("center-mask:fraction=1", 2, r"fraction=1 is invalid \(expected a float > 0 and <= 0.95\)"),
    ("mask:box=[0,0,1,1]", 2, r"hides every pixel, so nothing is observed"),
    ("mask:box=[0,0,1]", 2, r"box=\[0,0,1\] is invalid \(expected a list of 4 floats"),
    ("mask", 2, r"mask: give exactly one of box=\[x0,y0,x1,y1\] or path=FILE"),
    ("motion-blur:length=4", 2, r"length must be odd"),
    ("motion-blur:length=201", 2, r"201x201 kernel is more than twice the size of 32x32 images"),
    ("motion-blur:length=65", 2, r"65x65 kernel is too large for 32x32 images with border=reflect"),
    ("noise:std=0", 2, r"std=0 is invalid \(expected a float > 0 and <= 2\)"),
    ("poisson:peak=-3", 2, r"peak=-3 is invalid"),
    ("kspace:R=0.5", 2, r"R=0.5 is invalid \(expected a float >= 1"),
    ("grayscale:amount=1", 2, r"grayscale: unknown parameter 'amount' \(valid parameters: none\)"),
]


@pytest.mark.parametrize("spec, code, message", FORWARD, ids=[case[0] or "empty" for case in FORWARD])
def test_bad_forward_specs(files, tmp_path, run, refused, spec, code, message):
    out = tmp_path / "out"
    refused([*run, "-f", spec, "-i", files["digit.png"], "--simulate", "-o", out], code, message, out)


OTHERS = [  # (options, exit code, message)
    (["-g", "stylegan3-ffhq"], 2, r"unknown generator 'stylegan3-ffhq': did you mean 'stylegan2-ffhq'"),
    (["-g", "stylegan2-mnist32:noise=loud"], 2, r"noise=loud is invalid \(expected one of none\|const\|random\)"),
    (["-g", "stylegan2-mnist32:size=64"], 2, r"unknown parameter 'size'"),
    (["-g", "stylegan2"], 2, r"stylegan2: parameter 'weights' is required"),
    (["-g", "toy:size=24"], 2, r"toy: size must be a power of two"),
    (["-g", "toy:size=300"], 2, r"size=300 is invalid \(expected an int >= 4 and <= 256\)"),
    (["--loss", "lpipz"], 2, r"unknown loss 'lpipz': did you mean 'lpips'"),
    (["--loss", "pixel:sigma=-1"], 2, r"pixel: sigma=-1 is invalid"),
    (["--loss", "pixel:weight=nan"], 2, r"weight=nan is invalid"),
    (["--loss", "lpips:net=resnet"], 2, r"net=resnet is invalid \(expected one of"),
    (["--prior", "gaussian"], 2, r"unknown prior 'gaussian'"),
    (["--prior", "w-gaussian:scale=huge"], 2, r"scale=huge is invalid"),
    (["--prior", "colinear:weight=-1"], 2, r"weight=-1 is invalid"),
    (["--preset", "brgmm"], 2, r"unknown preset 'brgmm' \(known presets: .*brgm"),
    (["--loss", "pixel:sigma=1e-200", "--preset", "pixel"], 1,
     r"objective term 'pixel' is inf at the start, before any step: check this term's parameters"),
]


@pytest.mark.parametrize("options, code, message", OTHERS, ids=[" ".join(case[0]) for case in OTHERS])
def test_bad_generator_term_and_preset_specs(files, tmp_path, run, refused, options, code, message):
    out = tmp_path / "out"
    args = run
    if options[0] == "-g":
        args[args.index("-g") + 1] = options[1]
        options = options[2:]
    refused([*args, *options, "-i", files["digit.png"], "--simulate", "-o", out], code, message, out)
