"""Top-level functions from PyTorch's long tail, each against torch: dtype limits,
print options, global switches, typename, factories and windows, gradient,
histogram, and the top-level aliases of in-place methods and functional ops."""

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
from reference import check, close, lib_of, rand


# ---- finfo / iinfo ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64"])
def test_finfo_matches_torch(name):
    ours, ref = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attr) == getattr(ref, attr), attr
    assert repr(ours) == repr(ref)


def test_finfo_default_is_the_default_dtype():
    assert ember.finfo().dtype == torch.finfo().dtype == "float32"


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name):
    ours, ref = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    for attr in ("bits", "max", "min", "dtype"):
        assert getattr(ours, attr) == getattr(ref, attr), attr


def test_finfo_iinfo_reject_wrong_kinds_like_torch():
    for bad in ("int32", "bool"):
        with pytest.raises(TypeError, match="finfo: requires a floating point dtype"):
            ember.finfo(getattr(ember, bad))
        with pytest.raises(TypeError):
            torch.finfo(getattr(torch, bad))
    for bad in ("float32", "bool"):
        with pytest.raises(TypeError, match="iinfo: requires an integer dtype"):
            ember.iinfo(getattr(ember, bad))
        with pytest.raises(TypeError):
            torch.iinfo(getattr(torch, bad))


# ---- set_printoptions -----------------------------------------------------------

@pytest.fixture
def printoptions():
    yield
    ember.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


def _same_repr(a):
    assert repr(ember.tensor(a)) == repr(torch.tensor(a)).replace("torch.", "ember.")


@pytest.mark.parametrize("options", [
    dict(precision=2), dict(precision=8), dict(threshold=5), dict(threshold=5, edgeitems=1),
    dict(linewidth=30), dict(sci_mode=True), dict(sci_mode=False), dict(profile="short"),
    dict(profile="full"), dict(profile="short", precision=6),
])
def test_set_printoptions_changes_repr_like_torch(printoptions, options):
    ember.set_printoptions(**options)
    torch.set_printoptions(**options)
    _same_repr(rand((3, 4)))
    _same_repr(np.linspace(0, 1, 2000).reshape(40, 50))
    _same_repr(np.array([1e-5, 3.0, 12345.678]))


def test_set_printoptions_rejects_unknown_profile(printoptions):
    with pytest.raises(ValueError, match="set_printoptions: expected profile in"):
        ember.set_printoptions(profile="long")


# ---- global switches ------------------------------------------------------------

@pytest.fixture
def deterministic():
    yield
    ember.use_deterministic_algorithms(False)


def test_deterministic_algorithms_switch(deterministic):
    assert not ember.are_deterministic_algorithms_enabled()
    ember.use_deterministic_algorithms(True, warn_only=True)
    assert ember.are_deterministic_algorithms_enabled()
    assert ember.is_deterministic_algorithms_warn_only_enabled()
    assert ember.get_deterministic_debug_mode() == 1
    ember.set_deterministic_debug_mode("error")
    assert ember.get_deterministic_debug_mode() == 2
    assert not ember.is_deterministic_algorithms_warn_only_enabled()
    ember.set_deterministic_debug_mode(0)
    assert not ember.are_deterministic_algorithms_enabled()


def test_deterministic_switch_errors(deterministic):
    with pytest.raises(TypeError, match="use_deterministic_algorithms: expected mode to be a "
                                        "bool, got str"):
        ember.use_deterministic_algorithms("yes")
    with pytest.raises(TypeError):
        torch.use_deterministic_algorithms("yes")
    with pytest.raises(RuntimeError, match="invalid value of debug_mode, expected one of "
                                           "`default`, `warn`, `error`, but got bad"):
        ember.set_deterministic_debug_mode("bad")
    with pytest.raises(RuntimeError, match="expected 0, 1, or 2, but got 5"):
        ember.set_deterministic_debug_mode(5)
    with pytest.raises(TypeError, match="debug_mode must be str or int"):
        ember.set_deterministic_debug_mode(1.0)


def test_float32_matmul_precision_is_recorded_and_validated():
    assert ember.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    try:
        for value in ("high", "medium", "highest"):
            ember.set_float32_matmul_precision(value)
            assert ember.get_float32_matmul_precision() == value
        with pytest.raises(ValueError, match="set_float32_matmul_precision: expected one of "
                                             "'highest', 'high' or 'medium', got 'low'"):
            ember.set_float32_matmul_precision("low")
    finally:
        ember.set_float32_matmul_precision("highest")


def test_typename_and_is_complex_match_torch():
    assert ember.typename(ember.ones(2)) == "ember.FloatTensor"
    assert ember.typename(ember.ones(2, dtype=ember.int64)) == "ember.LongTensor"
    assert torch.typename(torch.ones(2)) == "torch.FloatTensor"
    assert ember.typename(1) == torch.typename(1) == "int"
    assert ember.typename(ember.nn.Linear) == "ember.nn.modules.linear.Linear"
    assert ember.typename(ember.nn.Linear(1, 1)) == "ember.nn.modules.linear.Linear"
    assert torch.typename(torch.nn.Linear(1, 1)) == "torch.nn.modules.linear.Linear"
    assert ember.is_complex(ember.ones(1)) is torch.is_complex(torch.ones(1)) is False


# ---- factories ------------------------------------------------------------------------

@pytest.mark.parametrize("args, kwargs", [((0, 1, 0.25), {}), ((1, 4), {}), ((-2, 2.5), {}),
                                          ((0, 3), {"dtype": "int64"}), ((3, 0, -0.5), {}),
                                          ((0, 1, 0.3), {"dtype": "float64"})])
def test_range_matches_torch_and_warns(args, kwargs):
    def call(lib):
        kw = {k: getattr(lib, v) for k, v in kwargs.items()}
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = lib.range(*args, **kw)
        assert any(issubclass(x.category, UserWarning) and "deprecated" in str(x.message)
                   for x in w)
        return out
    ours, ref = call(ember), call(torch)
    close(ours, ref, rtol=1e-6)
    assert str(ours.dtype).split(".")[1] == str(ref.dtype).split(".")[1]


def test_range_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="range: step must be nonzero"):
            ember.range(0, 1, 0)
        with pytest.raises(RuntimeError, match="range: upper bound and larger bound "
                                               "inconsistent with step sign"):
            ember.range(0, 1, -1)
        with pytest.raises(TypeError, match="range: expected end to be a number"):
            ember.range(0, "a")
        with pytest.raises(TypeError, match="range: missing required argument 'end'"):
            ember.range(5)
        with pytest.raises(TypeError):
            torch.range(5)


def test_empty_strided_matches_torch_geometry():
    for size, stride in [((2, 3), (1, 2)), ((2, 3), (3, 1)), ((2, 3), (0, 1)), ((0, 4), (4, 1)),
                         ((), ())]:
        e = ember.empty_strided(size, stride, dtype=ember.float64)
        t = torch.empty_strided(size, stride, dtype=torch.float64)
        assert e.shape == tuple(t.shape) and e.stride() == t.stride()
        assert e.dtype == ember.float64
    assert ember.empty_strided((2,), (1,), requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="empty_strided: mismatch in length of strides"):
        ember.empty_strided((2, 3), (1,))
    with pytest.raises(RuntimeError, match="empty_strided: sizes and strides must be "
                                           "non-negative"):
        ember.empty_strided((2,), (-1,))


def test_frombuffer_shares_memory_like_torch():
    buf = bytearray(np.arange(6, dtype=np.float32).tobytes())
    e = ember.frombuffer(buf, dtype=ember.float32, count=3, offset=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.frombuffer(buf, dtype=torch.float32, count=3, offset=8)
    close(e, t)
    e[0] = 10.0
    assert np.frombuffer(buf, np.float32)[2] == 10.0  # the buffer changed
    close(ember.frombuffer(bytes(4), dtype=ember.int8), torch.frombuffer(bytearray(4),
                                                                         dtype=torch.int8))
    ro = ember.frombuffer(b"\x01\x00\x02\x00", dtype=ember.int16)
    assert ro.tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="read-only"):
        ro.add_(1)


@pytest.mark.parametrize("kwargs, match", [
    (dict(count=5), "frombuffer: requested buffer length \\(5 \\* 4 bytes\\) after offset "
                    "\\(0 bytes\\) must not be greater than actual buffer length \\(16 bytes\\)"),
    (dict(offset=16), "frombuffer: offset \\(16 bytes\\) must be non-negative and no greater "
                      "than buffer length \\(16 bytes\\) minus 1"),
    (dict(offset=2), "frombuffer: buffer length \\(14 bytes\\) after offset \\(2 bytes\\) must "
                     "be a multiple of element size \\(4\\)"),
    (dict(count=0), "frombuffer: count must be -1 or positive"),
])
def test_frombuffer_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ember.frombuffer(bytearray(16), dtype=ember.float32, **kwargs)
    with pytest.raises(ValueError):
        torch.frombuffer(bytearray(16), dtype=torch.float32, **kwargs)


def test_frombuffer_rejects_non_buffers():
    with pytest.raises(TypeError, match="frombuffer: expected an object implementing the buffer "
                                        "protocol, got list"):
        ember.frombuffer([1, 2], dtype=ember.float32)


# ---- windows ----------------------------------------------------------------------------

WINDOWS = [("hann_window", ()), ("hamming_window", ()), ("hamming_window", (0.5, 0.4)),
           ("blackman_window", ()), ("bartlett_window", ()), ("kaiser_window", ()),
           ("kaiser_window", (3.5,))]


@pytest.mark.parametrize("name, extra", WINDOWS)
@pytest.mark.parametrize("n", [0, 1, 2, 5, 8])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_match_torch(name, extra, n, periodic):
    for dtype in ("float32", "float64"):
        ours = getattr(ember, name)(n, periodic, *extra, dtype=getattr(ember, dtype))
        ref = getattr(torch, name)(n, periodic, *extra, dtype=getattr(torch, dtype))
        close(ours, ref, rtol=1e-5, atol=1e-6 if dtype == "float32" else 1e-12)
        assert ours.dtype == getattr(ember, dtype)
    close(getattr(ember, name)(n), getattr(torch, name)(n), rtol=1e-5, atol=1e-6)


def test_window_errors():
    with pytest.raises(RuntimeError, match="hann_window: requires non-negative window_length, "
                                           "got window_length=-1"):
        ember.hann_window(-1)
    with pytest.raises(RuntimeError):
        torch.hann_window(-1)
    with pytest.raises(TypeError, match="kaiser_window: expected a floating dtype, got "
                                        "ember.int64"):
        ember.kaiser_window(4, dtype=ember.int64)
    with pytest.raises(TypeError, match="bartlett_window: expected window_length to be an int"):
        ember.bartlett_window(4.0)
    assert ember.hann_window(3, requires_grad=True).requires_grad


# ---- gradient ----------------------------------------------------------------------------

GRADIENT = [
    ((6,), dict()), ((6,), dict(edge_order=2)), ((3, 4), dict()), ((3, 4), dict(spacing=2.0)),
    ((3, 4), dict(dim=1)), ((3, 4), dict(dim=-2, edge_order=2)), ((2, 3, 4), dict(dim=[0, 2])),
    ((3, 4), dict(spacing=[0.5, 3.0])), ((2, 5), dict(dim=1, spacing=[1.5], edge_order=2)),
]


@pytest.mark.parametrize("shape, kwargs", GRADIENT)
def test_gradient_matches_torch_with_gradients(shape, kwargs):
    check(lambda x: lib_of(x).gradient(x, **kwargs), rand(shape))


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_with_coordinates(edge_order):
    cx, cy = np.array([0.0, 0.5, 2.0]), np.array([-1.0, 0.0, 0.25, 2.0, 2.5])

    def f(x):
        lib = lib_of(x)
        return lib.gradient(x, spacing=[lib.tensor(cx), lib.tensor(cy)], edge_order=edge_order)
    check(f, rand((3, 5)))


def test_gradient_promotes_to_the_coordinates_dtype_like_torch():
    c = [0.0, 1.0, 3.0, 4.0, 6.0]
    ours = ember.gradient(ember.arange(5.0).pow(2), spacing=(ember.tensor(c, dtype=ember.float64),))
    theirs = torch.gradient(torch.arange(5.0).pow(2),
                            spacing=(torch.tensor(c, dtype=torch.float64),))
    assert ours[0].dtype == ember.float64 and theirs[0].dtype == torch.float64
    close(ours[0], theirs[0])


def test_gradient_of_integers_and_two_points():
    close(ember.gradient(ember.tensor([1, 4, 9, 16]))[0],
          torch.gradient(torch.tensor([1, 4, 9, 16]))[0])
    close(ember.gradient(ember.tensor([1.0, 4.0]))[0], torch.gradient(torch.tensor([1.0, 4.0]))[0])


@pytest.mark.parametrize("args, kwargs, match", [
    (((2,),), dict(edge_order=2), "gradient: each dimension differentiated must have at least "
                                  "edge_order \\+ 1 = 3 elements, but dim 0 has 2"),
    (((4,),), dict(edge_order=3), "gradient: edge_order must be 1 or 2, got 3"),
    (((3, 4),), dict(spacing=[1.0]), "gradient: expected spacing to be unspecified, a scalar "
                                     "or a list of length 2"),
    (((3, 4),), dict(dim=[0, 0]), "gradient: dim \\[0, 0\\] appears multiple times"),
])
def test_gradient_errors(args, kwargs, match):
    with pytest.raises(RuntimeError, match=match):
        ember.gradient(ember.ones(*args[0]), **kwargs)
    with pytest.raises(RuntimeError):
        torch.gradient(torch.ones(*args[0]), **kwargs)


def test_gradient_rejects_bad_coordinates():
    with pytest.raises(RuntimeError, match="gradient: coordinates along dim 0 must be a 1-D "
                                           "tensor of size 4, got shape \\[3\\]"):
        ember.gradient(ember.ones(4), spacing=[ember.ones(3)])


# ---- histogram --------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [dict(bins=5), dict(bins=7, range=(-1.0, 1.5)),
                                    dict(bins=4, density=True), dict(bins=6, weight=True),
                                    dict(bins=6, weight=True, density=True),
                                    dict(bins="tensor"), dict(bins="tensor", density=True)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_histogram_matches_torch(kwargs, dtype):
    a = rand((4, 25), 3).astype(dtype)
    w = rand((4, 25), 4, positive=True).astype(dtype)

    def call(lib):
        kw = dict(kwargs)
        if kw.get("weight"):
            kw["weight"] = lib.tensor(w)
        if kw["bins"] == "tensor":
            kw["bins"] = lib.tensor(np.array([-2.0, -0.5, 0.0, 0.1, 1.0, 1.9], dtype))
        return lib.histogram(lib.tensor(a), **kw)
    ours, ref = call(ember), call(torch)
    close(ours.hist, ref.hist, rtol=1e-5)
    close(ours.bin_edges, ref.bin_edges, rtol=1e-6)
    assert ours.hist.dtype == ours.bin_edges.dtype == getattr(ember, dtype)
    h, e = ember.tensor(a).histogram(3)  # method form, tuple unpacking
    close(h, torch.tensor(a).histogram(3)[0])


def test_histogram_counts_the_right_edge_and_constant_input():
    x = [0.0, 0.5, 1.0, 1.0, 2.0]
    close(ember.histogram(ember.tensor(x), 2).hist, torch.histogram(torch.tensor(x), 2).hist)
    close(ember.histogram(ember.tensor([3.0, 3.0]), 4).bin_edges,
          torch.histogram(torch.tensor([3.0, 3.0]), 4).bin_edges)
    empty = ember.histogram(ember.tensor([]), 2), torch.histogram(torch.tensor([]), 2)
    close(empty[0].bin_edges, empty[1].bin_edges)
    close(empty[0].hist, empty[1].hist)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: ember.histogram(ember.tensor([1, 2]), 3), RuntimeError,
     "histogram: expected a floating input, got ember.int64"),
    (lambda: ember.histogram(ember.ones(3), 0), RuntimeError,
     "histogram: bins must be a positive int or a 1-D tensor"),
    (lambda: ember.histogram(ember.ones(3), 2, range=(1.0, 0.0)), RuntimeError,
     "histogram: min should not exceed max"),
    (lambda: ember.histogram(ember.ones(3), 2, range=(0.0, float("inf"))), RuntimeError,
     "histogram: range of .* is not finite"),
    (lambda: ember.histogram(ember.tensor([1.0, float("nan")]), 2), RuntimeError,
     "histogram: range of .* is not finite"),
    (lambda: ember.histogram(ember.ones(3), 2, weight=ember.ones(2)), RuntimeError,
     "histogram: expected weight of the input's shape"),
    (lambda: ember.histogram(ember.ones(3), ember.tensor([1.0, 0.0])), RuntimeError,
     "histogram: bin edges must be non-decreasing"),
    (lambda: ember.histogram(ember.ones(3), ember.ones(2, dtype=ember.float64)), RuntimeError,
     "histogram: expected bins of dtype ember.float32"),
])
def test_histogram_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---- top-level aliases ----------------------------------------------------------------

INPLACE = [("exp_", ()), ("sigmoid_", ()), ("tanh_", ()), ("clamp_", (-0.5, 0.5)),
           ("clamp_min_", (0.1,)), ("round_", ()), ("neg_", ()), ("square_", ()),
           ("nan_to_num_", ()), ("xlogy_", (2.0,)), ("logit_", ())]


@pytest.mark.parametrize("name, args", INPLACE)
def test_top_level_inplace_functions_match_torch(name, args):
    a = rand((3, 4), positive=True) / 3

    def f(x):
        y = x * 1.0
        out = getattr(lib_of(x), name)(y, *args)
        assert out is y
        return y
    check(f, a)


def test_every_top_level_inplace_alias_is_a_method_call():
    for name in ember.ops.tensor_compat._INPLACE_ALIASES:
        assert hasattr(torch, name) and hasattr(ember.Tensor, name), name
        assert getattr(ember, name).__name__ == name and getattr(ember, name).__doc__
    x = ember.ones(2)
    assert ember.detach_(x) is x
    with pytest.raises(TypeError, match="exp_: expected input to be a Tensor"):
        ember.exp_([1.0])


def test_top_level_dropout_takes_train_positionally():
    x = ember.ones(1000)
    assert ember.dropout(x, 0.5, False) is x
    ember.manual_seed(0)
    y = ember.dropout(x, 0.5, True)
    kept = (y != 0).float().mean().item()
    assert 0.4 < kept < 0.6 and set(np.unique(y.numpy())) <= {0.0, 2.0}
    z = ember.ones(1000)
    assert ember.dropout_(z, 0.5, True) is z and (z == 0).any()
    assert ember.alpha_dropout(x, 0.2, False) is x
    assert ember.feature_alpha_dropout(ember.ones(2, 3, 4), 0.2, False).shape == (2, 3, 4)
    with pytest.raises(TypeError):
        ember.dropout(x, 0.5)  # train is required, as in torch
    with pytest.raises(TypeError):
        torch.dropout(torch.ones(3), 0.5)


def _aliases():
    x4, w4 = rand((2, 3, 5, 5)), rand((4, 3, 3, 3), 1)
    x3, w3 = rand((2, 3, 7)), rand((4, 3, 3), 1)
    return [
        ("conv1d", lambda L, x, w: L.conv1d(x, w, None, 2, 1), (x3, w3)),
        ("conv2d", lambda L, x, w: L.conv2d(x, w, None, 1, 1, 1, 1), (x4, w4)),
        ("conv3d", lambda L, x, w: L.conv3d(x, w), (rand((1, 2, 3, 4, 4)), rand((2, 2, 2, 2, 2), 1))),
        ("conv_transpose1d", lambda L, x, w: L.conv_transpose1d(x, w, None, 2),
         (rand((2, 4, 5)), rand((4, 3, 3), 1))),
        ("conv_transpose2d", lambda L, x, w: L.conv_transpose2d(x, w, None, 1, 1),
         (rand((1, 4, 3, 3)), rand((4, 2, 3, 3), 1))),
        ("conv_transpose3d", lambda L, x, w: L.conv_transpose3d(x, w),
         (rand((1, 2, 2, 3, 3)), rand((2, 2, 2, 2, 2), 1))),
        ("layer_norm", lambda L, x, w: L.layer_norm(x, (5,), w, None, 1e-5, True),
         (rand((3, 5)), rand((5,), 1))),
        ("group_norm", lambda L, x, w: L.group_norm(x, 2, w, None, 1e-5, True),
         (rand((2, 4, 3)), rand((4,), 1))),
        ("rms_norm", lambda L, x, w: L.rms_norm(x, (5,), w), (rand((3, 5)), rand((5,), 1))),
        ("batch_norm", lambda L, x, w: L.batch_norm(x, w, None, None, None, True, 0.1, 1e-5, False),
         (rand((4, 3)), rand((3,), 1))),
        ("instance_norm",
         lambda L, x, w: L.instance_norm(x, w, None, None, None, True, 0.1, 1e-5, False),
         (rand((2, 3, 6)), rand((3,), 1))),
        ("embedding", lambda L, x, w: L.embedding(w, L.tensor([[0, 2], [1, 0]]) + 0 * 0),
         (rand((1,)), rand((3, 4), 1))),
        ("embedding_padding", lambda L, x, w: L.embedding(w, L.tensor([0, 2, 1]), 1),
         (rand((1,)), rand((3, 4), 1))),
        ("max_pool1d", lambda L, x, w: L.max_pool1d(x, 2) * w, (rand((2, 3, 6)), rand((1,), 1))),
        ("max_pool2d", lambda L, x, w: L.max_pool2d(x, 2, [], 1) * w,
         (rand((1, 2, 5, 5)), rand((1,), 1))),
        ("max_pool3d", lambda L, x, w: L.max_pool3d(x, 2, 1) * w,
         (rand((1, 1, 3, 4, 4)), rand((1,), 1))),
        ("max_pool1d_with_indices", lambda L, x, w: L.max_pool1d_with_indices(x, 3, 2)[0] * w,
         (rand((2, 3, 7)), rand((1,), 1))),
        ("avg_pool1d", lambda L, x, w: L.avg_pool1d(x, 3, 2, 1) * w,
         (rand((2, 3, 7)), rand((1,), 1))),
        ("adaptive_avg_pool1d", lambda L, x, w: L.adaptive_avg_pool1d(x, 3) * w,
         (rand((2, 3, 7)), rand((1,), 1))),
        ("adaptive_max_pool1d", lambda L, x, w: L.adaptive_max_pool1d(x, 3)[0] * w,
         (rand((2, 3, 7)), rand((1,), 1))),
        ("cosine_similarity", lambda L, x, w: L.cosine_similarity(x, w, 0),
         (rand((4, 3)), rand((4, 3), 1))),
        ("pairwise_distance", lambda L, x, w: L.pairwise_distance(x, w, 3.0, 1e-6, True),
         (rand((4, 3)), rand((4, 3), 1))),
        ("pixel_shuffle", lambda L, x, w: L.pixel_shuffle(x, 2) * w,
         (rand((1, 8, 2, 2)), rand((1,), 1))),
        ("pixel_unshuffle", lambda L, x, w: L.pixel_unshuffle(x, 2) * w,
         (rand((1, 2, 4, 4)), rand((1,), 1))),
        ("channel_shuffle", lambda L, x, w: L.channel_shuffle(x, 2) * w,
         (rand((1, 4, 2, 2)), rand((1,), 1))),
        ("bilinear", lambda L, x, w: L.bilinear(x, x, w), (rand((3, 2)), rand((4, 2, 2), 1))),
        ("binary_cross_entropy_with_logits",
         lambda L, x, w: L.binary_cross_entropy_with_logits(x, L.tensor((rand((3, 4), 5) > 0) * 1.0),
                                                             w, None, 0),
         (rand((3, 4)), rand((4,), 1))),
        ("binary_cross_entropy_with_logits_pos",
         lambda L, x, w: L.binary_cross_entropy_with_logits(x, L.ones(3, 4) * 0.3, None, w, 2),
         (rand((3, 4)), rand((4,), 1, positive=True))),
        ("kl_div", lambda L, x, w: L.kl_div(x, w.softmax(-1), 2),
         (rand((3, 4)), rand((3, 4), 1))),
        ("cosine_embedding_loss",
         lambda L, x, w: L.cosine_embedding_loss(x, w, L.tensor([1.0, -1.0, 1.0]), 0.1),
         (rand((3, 4)), rand((3, 4), 1))),
        ("hinge_embedding_loss",
         lambda L, x, w: L.hinge_embedding_loss(x * w, L.tensor([1.0, -1.0, 1.0]), 1.0, 0),
         (rand((3,)), rand((3,), 1))),
        ("margin_ranking_loss",
         lambda L, x, w: L.margin_ranking_loss(x, w, L.tensor([1.0, -1.0, 1.0]), 0.2, 2),
         (rand((3,)), rand((3,), 1))),
        ("triplet_margin_loss",
         lambda L, x, w: L.triplet_margin_loss(x, w, x * 0.5, 1.0, 2.0, 1e-6, True, 1),
         (rand((3, 4)), rand((3, 4), 1))),
        ("poisson_nll_loss",
         lambda L, x, w: L.poisson_nll_loss(x, w.abs(), True, True, 1e-8, 1),
         (rand((3, 4)), rand((3, 4), 1))),
    ]


@pytest.mark.parametrize("name, fn, arrays", _aliases(), ids=[a[0] for a in _aliases()])
def test_functional_aliases_match_torch(name, fn, arrays):
    # PyTorch does not differentiate binary_cross_entropy_with_logits' weights.
    grad_inputs = [0] if name.startswith("binary_cross_entropy") else None
    check(lambda x, w: fn(lib_of(x), x, w), *arrays, grad_inputs=grad_inputs)


def test_pdist_alias_matches_torch():
    check(lambda x: lib_of(x).pdist(x, 3.0), rand((4, 3)), second=False)  # torch: no 2nd order


@pytest.mark.parametrize("name, args", [
    ("kl_div", 2), ("binary_cross_entropy_with_logits", 2), ("cosine_embedding_loss", 3),
    ("hinge_embedding_loss", 2), ("margin_ranking_loss", 3), ("triplet_margin_loss", 3)])
def test_top_level_losses_default_to_no_reduction_like_torch(name, args):
    a, b = rand((3, 4)), rand((3, 4), 1)
    target = {2: [], 3: [np.array([1.0, -1.0, 1.0])]}[args]
    if name == "hinge_embedding_loss":
        target, b = [], np.sign(b)
    elif name == "margin_ranking_loss":
        a, b, target = a[0], b[0], [np.array([1.0, -1.0, 1.0, 1.0])]
    elif name == "triplet_margin_loss":
        target = [a * 0.5]
    ours = getattr(ember, name)(ember.tensor(a), ember.tensor(b), *map(ember.tensor, target))
    ref = getattr(torch, name)(torch.tensor(a), torch.tensor(b), *map(torch.tensor, target))
    close(ours, ref)


def test_ctc_loss_alias_matches_torch():
    lp = np.log(np.random.default_rng(0).dirichlet(np.ones(4), (6, 2)))

    def f(x):
        # Through log_softmax: PyTorch's CTC gradient assumes normalised log-probabilities.
        L = lib_of(x)
        return L.ctc_loss(x.log_softmax(-1), L.tensor([[1, 2], [3, 3]]), [6, 5], [2, 2], 0, 2,
                          False)
    check(f, lp, second=False)


def test_max_pool_alias_matches_functional_and_stride_default():
    x = rand((1, 1, 6, 6))
    close(ember.max_pool2d(ember.tensor(x), 3), TF.max_pool2d(torch.tensor(x), 3))
    vals, idx = ember.adaptive_max_pool1d(ember.tensor(x[0]), 2)
    vt, it = torch.adaptive_max_pool1d(torch.tensor(x[0]), 2)
    close(vals, vt)
    close(idx, it)


@pytest.mark.parametrize("bad", ["mean", 3, True, -1])
def test_top_level_losses_take_an_int_reduction(bad):
    with pytest.raises(ValueError, match="kl_div: expected reduction to be 0 \\(none\\), "
                                         "1 \\(mean\\) or 2 \\(sum\\), got"):
        ember.kl_div(ember.ones(2), ember.ones(2), bad)


def test_top_level_alias_names_exist_in_torch():
    for name in ember.ops.tensor_compat.__all__:
        assert hasattr(torch, name), name
    assert math.isclose(ember.cosine_similarity(ember.ones(3), ember.ones(3), 0).item(), 1.0,
                        rel_tol=1e-6)
