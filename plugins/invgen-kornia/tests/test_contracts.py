"""Every forward model of the plugin passes the core's contract kit."""

from invgen.testing.contracts import ForwardModelContract


class TestDownsampleArea(ForwardModelContract):
    spec = "downsample:factor=4"
    bad_specs = ("downsample:factor=1", "downsample:factor=2.5", "downsample:mode=nearest", "downsample:antialias=maybe")


class TestDownsampleBicubic(ForwardModelContract):
    spec = "downsample:factor=2,mode=bicubic"


class TestBlur(ForwardModelContract):
    spec = "blur:sigma=2"
    bad_specs = ("blur", "blur:sigma=0", "blur:sigma=-1", "blur:sigma=abc", "blur:sigma=1,size=4", "blur:sigma=1,border=wrap")


class TestMotionBlur(ForwardModelContract):
    spec = "motion-blur:length=5,angle=30"
    bad_specs = ("motion-blur:length=4", "motion-blur", "motion-blur:length=5,angle=1000")


class TestBoxBlur(ForwardModelContract):
    spec = "box-blur:size=3,border=circular"
    bad_specs = ("box-blur:size=2", "box-blur:size=0")


class TestDefocus(ForwardModelContract):
    spec = "defocus:radius=2.5,border=zeros"
    bad_specs = ("defocus:radius=0",)


class TestBoxMask(ForwardModelContract):
    spec = "mask:box=[0.25,0.25,0.75,0.5]"
    bad_specs = ("mask", "mask:box=[1,2,3]", "mask:box=[0.5,0.5,0.25,0.75]", "mask:box=[0.1,0.1,0.2,0.2],path=x.png")


class TestCenterMask(ForwardModelContract):
    spec = "center-mask:fraction=0.4"
    bad_specs = ("center-mask:fraction=0", "center-mask:fraction=1.5")


class TestRandomStrokes(ForwardModelContract):
    spec = "random-mask:kind=strokes,fraction=0.3,seed=2"
    bad_specs = ("random-mask:kind=blobs", "random-mask:fraction=0")


class TestRandomPixels(ForwardModelContract):
    spec = "random-mask:kind=pixels,fraction=0.5"


class TestNoise(ForwardModelContract):
    spec = "noise:std=0.1"
    bad_specs = ("noise", "noise:std=-0.1", "noise:std=0")


class TestRician(ForwardModelContract):
    spec = "rician:std=0.05"
    bad_specs = ("rician", "rician:std=0", "rician:std=3")


class TestPoisson(ForwardModelContract):
    spec = "poisson:peak=50"
    bad_specs = ("poisson", "poisson:peak=0")

    def test_gradients_flow(self):
        """The operator is the identity; gradients flow through it unchanged."""
        super().test_gradients_flow()


class TestGrayscale(ForwardModelContract):
    spec = "grayscale"
    bad_specs = ("grayscale:weights=1",)
