"""User-defined ``ember.autograd.Function`` subclasses, against PyTorch's equivalents.

A Function defined outside the ``ember`` package follows PyTorch's
convention (``forward`` gets Tensors, under no_grad), so most classes here
are written exactly as their PyTorch twins; Ember's own ops take arrays
(``array_forward``), which the last tests cover.
"""

import numpy as np
import pytest
import torch
from reference import close, rand

import ember
from ember.autograd import Function, once_differentiable


class Cube(Function):
    """x ** 3, saving its input."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class TorchCube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class Scale(Function):
    """x * y * factor, recording which gradients backward was asked for."""

    @staticmethod
    def forward(ctx, x, factor, y):
        ctx.factor = factor
        ctx.save_for_backward(x, y)
        return x * y * factor

    @staticmethod
    def backward(ctx, g):
        Scale.seen = ctx.needs_input_grad
        x, y = ctx.saved_tensors
        need_x, _, need_y = ctx.needs_input_grad
        return (g * y * ctx.factor if need_x else None, None,
                g * x * ctx.factor if need_y else None)


class TorchScale(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, factor, y):
        ctx.factor = factor
        ctx.save_for_backward(x, y)
        return x * y * factor

    @staticmethod
    def backward(ctx, g):
        TorchScale.seen = ctx.needs_input_grad
        x, y = ctx.saved_tensors
        need_x, _, need_y = ctx.needs_input_grad
        return (g * y * ctx.factor if need_x else None, None,
                g * x * ctx.factor if need_y else None)


class SortWithIndices(Function):
    """Sorted values and the (non-differentiable) permutation."""

    @staticmethod
    def forward(ctx, x):
        idx = x.argsort(stable=True)
        ctx.mark_non_differentiable(idx)
        ctx.idx = idx
        return x[idx], idx

    @staticmethod
    def backward(ctx, g_values, g_idx):
        SortWithIndices.g_idx = g_idx
        return g_values[ctx.idx.argsort()]


class SplitHalves(Function):
    """Two outputs: the first and second half of a 1-D array."""

    @staticmethod
    def forward(ctx, x):
        n = x.shape[0] // 2
        ctx.n = n
        return x[:n] * 2, x[n:] * 3

    @staticmethod
    def backward(ctx, g_first, g_second):
        SplitHalves.grads = (g_first.tolist(), g_second.tolist())
        return ember.cat([g_first * 2, g_second * 3])


def test_save_for_backward_gives_first_and_second_derivatives_like_torch():
    a = rand((4,))
    x, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, yt = Cube.apply(x), TorchCube.apply(xt)
    close(y, yt)
    (g,) = ember.autograd.grad(y.sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad(yt.sum(), xt, create_graph=True)
    close(g, gt)
    close(ember.autograd.grad(g.sum(), x)[0], torch.autograd.grad(gt.sum(), xt)[0])


def test_output_node_is_a_backward_node():
    x = ember.tensor(rand((2,)), requires_grad=True)
    y = Cube.apply(x)
    assert y.requires_grad and y.grad_fn.name() == "CubeBackward"  # as PyTorch names it
    assert y.grad_fn.next_functions[0][0] is x


@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True)])
def test_needs_input_grad_matches_torch(needs):
    a, b = rand((3,)), rand((3,), seed=1)
    x, y = ember.tensor(a, requires_grad=needs[0]), ember.tensor(b, requires_grad=needs[1])
    xt, yt = torch.tensor(a, requires_grad=needs[0]), torch.tensor(b, requires_grad=needs[1])
    Scale.apply(x, 2.5, y).sum().backward()
    TorchScale.apply(xt, 2.5, yt).sum().backward()
    assert Scale.seen == TorchScale.seen == (needs[0], False, needs[1])
    for ours, ref in ((x, xt), (y, yt)):
        assert (ours.grad is None) == (ref.grad is None)
        if ref.grad is not None:
            close(ours.grad, ref.grad)


def test_no_input_requiring_grad_records_nothing():
    y = Scale.apply(ember.ones(2), 2.0, ember.ones(2))
    assert not y.requires_grad and y.grad_fn is None


def test_apply_under_no_grad_records_nothing():
    x = ember.tensor(rand((2,)), requires_grad=True)
    with ember.no_grad():
        y = Cube.apply(x)
    assert not y.requires_grad and y.grad_fn is None


def test_mark_non_differentiable_output():
    a = np.array([3.0, 1.0, 2.0])
    x = ember.tensor(a, requires_grad=True)
    values, idx = SortWithIndices.apply(x)
    assert values.requires_grad and not idx.requires_grad
    assert idx.tolist() == [1, 2, 0]
    (values * ember.tensor([1.0, 10.0, 100.0], dtype=ember.float64)).sum().backward()
    assert x.grad.tolist() == [100.0, 1.0, 10.0]
    # like PyTorch, backward gets a zero gradient for the non-differentiable output
    assert SortWithIndices.g_idx.shape == (3,) and not SortWithIndices.g_idx._array.any()


def test_float_output_marked_non_differentiable():
    class Pair(Function):
        @staticmethod
        def forward(ctx, x):
            stats = x * 0 + x.mean()
            ctx.mark_non_differentiable(stats)
            return x * 2, stats

        @staticmethod
        def backward(ctx, g, g_stats):
            return g * 2

    class TorchPair(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            stats = x * 0 + x.mean()
            ctx.mark_non_differentiable(stats)
            return x * 2, stats

        @staticmethod
        def backward(ctx, g, g_stats):
            return g * 2

    a = rand((3,))
    out, stats = Pair.apply(ember.tensor(a, requires_grad=True))
    out_t, stats_t = TorchPair.apply(torch.tensor(a, requires_grad=True))
    assert (out.requires_grad, stats.requires_grad) == (out_t.requires_grad, stats_t.requires_grad)
    close(stats, stats_t)


def test_unused_output_of_a_multi_output_function_gets_zero_gradient():
    x = ember.tensor(np.arange(4.0), requires_grad=True)
    first, second = SplitHalves.apply(x)
    second.sum().backward()
    assert SplitHalves.grads == ([0.0, 0.0], [1.0, 1.0])
    assert x.grad.tolist() == [0.0, 0.0, 3.0, 3.0]


def test_backward_returning_none_for_an_input_that_needs_grad():
    class Half(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g, None

    x, y = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    Half.apply(x, y).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0] and y.grad is None


def test_backward_with_the_wrong_number_of_gradients_is_refused():
    class Few(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    x, y = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="FewBackward: backward returned 1 gradients, "
                                           "expected 2"):
        Few.apply(x, y).sum().backward()


def test_backward_with_a_wrong_shape_gradient_is_refused():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g[:1]

    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"BadBackward.*shape"):
        Bad.apply(x).sum().backward()


def test_gradient_is_cast_to_the_input_dtype():
    class Float32Grad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return (g * 2).to(ember.float32)

    x = ember.ones(2, dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(Float32Grad.apply(x).sum(), x)
    assert g.dtype == ember.float64


def test_saved_tensors_after_the_graph_is_freed():
    x = ember.tensor(rand((2,)), requires_grad=True)
    y = Cube.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="saved tensors after they were freed"):
        y.grad_fn.saved_tensors


def test_once_differentiable_gives_first_derivatives_only():
    class RawSquare(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x

    x = ember.tensor([1.0, 3.0], dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(RawSquare.apply(x).sum(), x, create_graph=True)
    assert g.tolist() == [2.0, 6.0]
    assert not g.requires_grad  # computed without recording: no second derivative
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.autograd.grad(g.sum(), x)


def test_integer_output_never_requires_grad():
    class Argmax(Function):
        @staticmethod
        def forward(ctx, x):
            return x.argmax()

    y = Argmax.apply(ember.tensor(rand((4,)), requires_grad=True))
    assert not y.requires_grad and y.dtype == ember.int64


# ---- PyTorch's convention for user Functions -------------------------------------------

def _pair(name, forward, backward, setup_context=None):
    """The same Function body as an Ember and as a torch class."""
    body = {"forward": staticmethod(forward), "backward": staticmethod(backward)}
    if setup_context is not None:
        body["setup_context"] = staticmethod(setup_context)
    return (type(name, (Function,), dict(body)),
            type(name, (torch.autograd.Function,), dict(body)))


def _relu_forward(ctx, x):
    ctx.save_for_backward(x)
    return x.clamp(min=0)


def _relu_backward(ctx, g):
    (x,) = ctx.saved_tensors
    return g * (x > 0)


def _reverse_forward(ctx, x, alpha):
    ctx.alpha = alpha
    return x.view_as(x)


def _reverse_backward(ctx, g):
    return g.neg() * ctx.alpha, None


def _ste_forward(ctx, x):  # straight-through rounding
    return x.round()


def _ste_backward(ctx, g):
    return g


@pytest.mark.parametrize("name,forward,backward,extra", [
    ("MyReLU", _relu_forward, _relu_backward, ()),
    ("GradReverse", _reverse_forward, _reverse_backward, (0.3,)),
    ("RoundSTE", _ste_forward, _ste_backward, ()),
])
def test_tensor_forward_written_once_runs_like_torch(name, forward, backward, extra):
    ours, theirs = _pair(name, forward, backward)
    assert not ours.array_forward
    a = rand((5,))
    x, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, yt = ours.apply(x, *extra), theirs.apply(xt, *extra)
    close(y, yt)
    assert y.grad_fn.name() == yt.grad_fn.name() == f"{name}Backward"
    w = rand((5,), seed=3)
    (y * ember.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    close(x.grad, xt.grad)


def test_setup_context_style_with_second_derivatives_like_torch():
    def forward(x, k):
        return x * x * k

    def setup_context(ctx, inputs, output):
        x, k = inputs
        ctx.k = k
        ctx.save_for_backward(x)

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * g * x * ctx.k, None

    ours, theirs = _pair("Square", forward, backward, setup_context)
    a = rand((4,))
    x, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (g,) = ember.autograd.grad(ours.apply(x, 1.5).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad(theirs.apply(xt, 1.5).sum(), xt, create_graph=True)
    close(g, gt)
    close(ember.autograd.grad(g.sum(), x)[0], torch.autograd.grad(gt.sum(), xt)[0])


def test_tensor_forward_runs_without_recording_and_sees_the_inputs():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, scale):
            seen["type"], seen["grad_mode"] = type(x), ember.is_grad_enabled()
            seen["needs"] = ctx.needs_input_grad
            inner = x * scale
            seen["inner_requires_grad"] = inner.requires_grad
            return inner

        @staticmethod
        def backward(ctx, g):
            return g, None

    x = ember.ones(2, requires_grad=True)
    y = Probe.apply(x, 2.0)
    assert seen == {"type": ember.Tensor, "grad_mode": False, "needs": (True, False),
                    "inner_requires_grad": False}
    assert y.requires_grad and ember.is_grad_enabled()
    with ember.no_grad():
        assert not Probe.apply(x, 2.0).requires_grad


def test_set_materialize_grads_false_passes_none_like_torch():
    got = {}

    def make(lib):
        class Split(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                got[lib.__name__] = (g1 is None, g2 is None)
                return g1 * 2 if g1 is not None else g2 * 3
        return Split

    for lib in (ember, torch):
        x = lib.ones(2, requires_grad=True)
        make(lib).apply(x)[1].sum().backward()
        assert x.grad.tolist() == [3.0, 3.0]
    assert got["ember"] == got["torch"] == (True, False)


def test_mark_dirty_is_refused_with_a_clear_message():
    class AddOneInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(NotImplementedError, match="AddOneInPlace: ctx.mark_dirty is not "
                                                  "supported"):
        AddOneInPlace.apply(ember.ones(2, requires_grad=True))


def test_array_forward_opt_in_and_inheritance():
    class RawCube(Function):
        array_forward = True  # Ember's op convention: forward gets arrays

        @staticmethod
        def forward(ctx, x):
            assert isinstance(x, np.ndarray)
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    class Child(RawCube):
        pass

    class TensorChild(Cube):
        pass

    assert Child.array_forward and not TensorChild.array_forward and not Cube.array_forward
    from ember.ops.elementwise import Exp
    assert Exp.array_forward  # the ops keep arrays
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    Child.apply(x).sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]


def test_an_output_that_is_the_input_cannot_corrupt_the_graph():
    # return x / x.view_as(x): the output gets its own memory, so changing it in
    # place leaves what exp saved intact (PyTorch raises there; the gradient is
    # never wrong in either).
    for body in (lambda x: x, lambda x: x.view_as(x)):
        class Id(Function):
            @staticmethod
            def forward(ctx, x):
                return body(x)

            @staticmethod
            def backward(ctx, g):
                return g

        x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
        w = x.exp()
        r = Id.apply(w)
        r.mul_(10)
        w.sum().backward()
        assert x.grad.tolist() == np.exp([1.0, 2.0]).tolist()
        assert w.tolist() == np.exp([1.0, 2.0]).tolist()


def test_non_tensor_outputs_keyword_arguments_and_needs_input_grad_like_torch():
    seen = {}

    def make(lib):
        class Mixed(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, scale=1.0):
                seen[lib.__name__] = ctx.needs_input_grad
                return x * scale, None, 7

            @staticmethod
            def backward(ctx, g, g_none, g_int):
                assert g_none is None and g_int is None
                return g * 2, None
        return Mixed

    for lib in (ember, torch):
        x = lib.ones(2, requires_grad=True)
        y, none, seven = make(lib).apply(x, scale=2.0)
        assert none is None and seven == 7
        y.sum().backward()
        assert x.grad.tolist() == [2.0, 2.0]
        with lib.no_grad():
            make(lib).apply(x)
    assert seen["ember"] == seen["torch"] == (True,)  # the last call: under no_grad

    class KeywordOnly(Function):
        @staticmethod
        def forward(ctx, x, *, scale):
            return x * scale

    with pytest.raises(TypeError, match="forward\\(\\) got an unexpected keyword argument 'scale'"):
        KeywordOnly.apply(ember.ones(2), scale=2.0)


def test_a_gradient_for_a_non_tensor_input_is_refused_like_torch():
    def make(lib):
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g, g
        return Scale

    for lib in (ember, torch):
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="returned a gradient different than None at "
                                               "position 2, but the corresponding forward input "
                                               "was not a"):
            make(lib).apply(x, 3.0).sum().backward()


def test_autograd_grad_runs_only_the_nodes_leading_to_its_inputs_like_torch():
    calls = []

    def make(lib):
        class Spy(lib.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                return t * 3

            @staticmethod
            def backward(ctx, g):
                calls.append(lib.__name__)
                return g * 3
        return Spy

    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0], requires_grad=True)
        side = make(lib).apply(w)
        loss = (x * 2).sum() + side.sum()
        (gx,) = lib.autograd.grad(loss, x)
        assert gx.tolist() == [2.0, 2.0]
        # The branch through w was not computed, nor freed: it can run later.
        side.sum().backward()
        assert w.grad.tolist() == [3.0]
    assert calls == ["ember", "torch"]  # once each: by the later backward only


def test_autograd_grad_stops_at_a_non_leaf_input_like_torch():
    for lib in (ember, torch):
        p = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        z = p.exp()
        out = (z * z).sum()
        (gz,) = lib.autograd.grad(out, z)  # ExpBackward is not run, so not freed
        close(gz, 2 * np.exp([1.0, 2.0]))
        z.sum().backward()
        close(p.grad, np.exp([1.0, 2.0]))


def test_nodes_that_saved_nothing_run_again_and_non_leaf_inputs_store_once_like_torch():
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x + 1  # saves nothing: a second backward through it is fine
        y.sum().backward()
        y.sum().backward()
        assert x.grad.tolist() == [2.0, 2.0]
        with pytest.raises(RuntimeError, match="second time"):
            z = x * x  # saves x: freed after the first backward
            z.sum().backward()
            z.sum().backward()
        h = x * 2
        h.retain_grad()
        (h * h).sum().backward(inputs=[h])
        assert h.grad.tolist() == [4.0, 8.0]
        h2 = x * 2
        (h2 * h2).sum().backward(inputs=[h2, h2])
        assert h2.grad.tolist() == [4.0, 8.0]


def test_two_backward_passes_in_one_autocast_region_like_torch():
    results = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        lin = lib.nn.Linear(3, 2)
        x = lib.ones(4, 3)
        with lib.autocast("cpu"):
            for _ in range(2):  # the weight's cast is cached and used by both passes
                lin(x).float().pow(2).sum().backward()
        results.append(lin.weight.grad.dtype)
    assert str(results[0]).split(".")[-1] == str(results[1]).split(".")[-1] == "float32"


def test_setup_context_sees_defaults_and_keywords_like_torch():
    got = []
    for lib in (ember, torch):
        class Affine(lib.autograd.Function):
            @staticmethod
            def forward(x, scale=2.0, shift=0.0):
                return x * scale + shift

            @staticmethod
            def setup_context(ctx, inputs, output):
                _, ctx.scale, _ = inputs  # all three, defaults included

            @staticmethod
            def backward(ctx, g):
                return g * ctx.scale, None, None

        x = lib.ones(2, requires_grad=True)
        a, b = Affine.apply(x), Affine.apply(x, shift=1.0)
        (a.sum() + b.sum()).backward()
        got.append((a.tolist(), b.tolist(), x.grad.tolist()))
    assert got[0] == got[1] == ([2.0, 2.0], [3.0, 3.0], [4.0, 4.0])


def test_empty_inputs_are_refused_like_torch():
    for lib in (ember, torch):
        x = lib.ones(2, requires_grad=True)
        y = (x * 2).sum()
        with pytest.raises(RuntimeError, match="inputs. argument.*cannot be empty|inputs argument "
                                               "cannot be empty"):
            y.backward(inputs=[])
        with pytest.raises(RuntimeError, match="cannot be empty"):
            lib.autograd.grad(y, [])


def test_a_custom_backward_gradient_comes_in_its_inputs_dtype_like_torch():
    dtypes = []
    for lib in (ember, torch):
        class Double(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return (g * 2).to(lib.float64)

        x = lib.ones(2, requires_grad=True)
        h = x * 1  # a float32 non-leaf input
        (g,) = lib.autograd.grad(Double.apply(h).sum(), h)
        dtypes.append(str(g.dtype).split(".")[-1])
    assert dtypes == ["float32", "float32"]


def test_record_observers_see_every_new_node_until_removed():
    from ember.autograd import function as fn
    seen = []
    fn.add_record_observer(seen.append)
    try:
        x = ember.ones(2, requires_grad=True)
        y = (x * 2).exp()
    finally:
        fn.remove_record_observer(seen.append)
    assert seen == [y.grad_fn.next_functions[0][0], y.grad_fn]
    assert fn._record is fn._record_plain  # no observer left: the plain path
    (x * 3).sum()
    assert len(seen) == 2
