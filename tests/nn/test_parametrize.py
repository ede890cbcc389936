"""nn.utils.parametrize and nn.utils.parametrizations against PyTorch."""

import numpy as np
import pytest
import torch

import ember
from reference import close, rand

P, TP = ember.nn.utils.parametrize, torch.nn.utils.parametrize


def twin(build):
    """The same module in both frameworks, float64, torch's weights copied."""
    torch.manual_seed(0)
    ref, ours = build(torch).double(), build(ember).double()
    ours.load_state_dict(to_ember(ref.state_dict()))
    return ours, ref


def to_ember(state):
    return {k: ember.tensor(v.detach().numpy()) for k, v in state.items()}


class Symmetric:
    """A parametrization with a right inverse, written once for both frameworks."""

    @staticmethod
    def make(lib):
        class Sym(lib.nn.Module):
            def forward(self, x):
                return x.triu() + x.triu(1).transpose(-1, -2)

            def right_inverse(self, a):
                return a.triu()

        return Sym()


def scale(lib, factor):
    class Scale(lib.nn.Module):
        def forward(self, x):
            return x * factor

    return Scale()


@pytest.mark.parametrize("build, dim", [
    (lambda lib: lib.nn.Linear(4, 3), 0),
    (lambda lib: lib.nn.Linear(4, 3), None),
    (lambda lib: lib.nn.Conv2d(2, 3, 3), 0),
    (lambda lib: lib.nn.Conv2d(2, 3, 3), 1),
])
def test_weight_norm_matches_torch(build, dim):
    ours, ref = twin(build)
    torch.nn.utils.parametrizations.weight_norm(ref, dim=dim)
    ember.nn.utils.parametrizations.weight_norm(ours, dim=dim)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for name, value in ref.state_dict().items():
        close(ours.state_dict()[name], value, what=name)
    assert type(ours).__name__ == type(ref).__name__ == "Parametrized" + type(ref).__bases__[0].__name__
    x = rand((2, 4) if isinstance(ref, torch.nn.Linear) else (1, 2, 5, 5), 1)
    a, b = ours(ember.tensor(x)), ref(torch.tensor(x))
    close(a, b)
    (a ** 2).sum().backward()
    (b ** 2).sum().backward()
    for name, p in ref.named_parameters():
        close(dict(ours.named_parameters())[name].grad, p.grad, what=name)
    close(ours.weight, ref.weight)


@pytest.mark.filterwarnings("ignore:.*weight_norm.* is deprecated")
def test_weight_norm_loads_the_hook_based_checkpoint():
    ref = torch.nn.Linear(4, 3).double()
    torch.nn.utils.weight_norm(ref)  # the old form: weight_g, weight_v
    ours = ember.nn.utils.parametrizations.weight_norm(ember.nn.Linear(4, 3).double())
    ours.load_state_dict(to_ember(ref.state_dict()))
    close(ours.weight, ref.weight)
    close(ours.parametrizations.weight.original0, ref.weight_g)


@pytest.mark.parametrize("build, shape", [
    (lambda lib: lib.nn.Linear(4, 3), (2, 4)),
    (lambda lib: lib.nn.Conv2d(2, 4, 3), (1, 2, 5, 5)),
    (lambda lib: lib.nn.ConvTranspose2d(2, 4, 3), (1, 2, 4, 4)),
])
def test_spectral_norm_matches_torch(build, shape):
    ours, ref = twin(build)
    torch.nn.utils.parametrizations.spectral_norm(ref, n_power_iterations=2)
    original = ours.weight
    ember.nn.utils.parametrizations.spectral_norm(ours, n_power_iterations=2)
    assert ours.parametrizations.weight.original is original  # optimizers keep it
    assert list(ours.state_dict()) == list(ref.state_dict())
    # u and v start random: take torch's, then both iterate alike.
    ours.load_state_dict(to_ember(ref.state_dict()))
    x = rand(shape, 0)
    for _ in range(3):
        a, b = ours(ember.tensor(x)), ref(torch.tensor(x))
        close(a, b)
        (a ** 2).sum().backward()
        (b ** 2).sum().backward()
        close(ours.parametrizations.weight.original.grad, ref.parametrizations.weight.original.grad)
        close(ours.parametrizations.weight[0]._u, ref.parametrizations.weight[0]._u)
    ours.eval(), ref.eval()
    u = ours.parametrizations.weight[0]._u.numpy().copy()
    close(ours(ember.tensor(x)), ref(torch.tensor(x)))
    np.testing.assert_array_equal(ours.parametrizations.weight[0]._u.numpy(), u)  # no update
    P.remove_parametrizations(ours, "weight")
    TP.remove_parametrizations(ref, "weight")
    assert type(ours).__name__ == type(ref).__name__
    assert list(ours.state_dict()) == list(ref.state_dict())
    close(ours.weight, ref.weight)


def test_spectral_norm_of_a_vector_normalises_it():
    m = ember.nn.Module()
    m.register_buffer("v", ember.tensor([3.0, 4.0]))
    ember.nn.utils.parametrizations.spectral_norm(m, "v")
    close(m.v, torch.tensor([0.6, 0.8], dtype=torch.float32))


def test_register_parametrization_with_right_inverse_matches_torch():
    ours, ref = twin(lambda lib: lib.nn.Linear(3, 3))
    P.register_parametrization(ours, "weight", Symmetric.make(ember))
    TP.register_parametrization(ref, "weight", Symmetric.make(torch))
    close(ours.weight, ref.weight)
    close(ours.parametrizations.weight.original, ref.parametrizations.weight.original)
    # Assigning stores right_inverse(value) in the original.
    value = rand((3, 3), 2)
    ours.weight = ember.tensor(value)
    ref.weight = torch.tensor(value)
    close(ours.parametrizations.weight.original, ref.parametrizations.weight.original)
    close(ours.weight, ref.weight)
    # A second parametrization applies to the first's result.
    P.register_parametrization(ours, "weight", scale(ember, 2.0))
    TP.register_parametrization(ref, "weight", scale(torch, 2.0))
    close(ours.weight, ref.weight)
    x = rand((2, 3), 3)
    a, b = ours(ember.tensor(x)), ref(torch.tensor(x))
    close(a, b)
    a.sum().backward()
    b.sum().backward()
    close(ours.parametrizations.weight.original.grad, ref.parametrizations.weight.original.grad)
    assert P.is_parametrized(ours) and P.is_parametrized(ours, "weight")
    assert not P.is_parametrized(ours, "bias")
    assert P.type_before_parametrizations(ours) is ember.nn.Linear
    P.remove_parametrizations(ours, "weight", leave_parametrized=False)
    TP.remove_parametrizations(ref, "weight", leave_parametrized=False)
    close(ours.weight, ref.weight)
    assert type(ours) is ember.nn.Linear and not P.is_parametrized(ours)
    assert "parametrizations" not in dict(ours.named_modules())


def test_buffers_can_be_parametrized_and_stay_buffers():
    m = ember.nn.Module()
    m.register_buffer("b", ember.tensor([1.0, 2.0]))
    P.register_parametrization(m, "b", scale(ember, 3.0))
    assert list(m.state_dict()) == ["parametrizations.b.original"]
    assert not list(m.parameters())
    close(m.b, torch.tensor([3.0, 6.0]))
    P.remove_parametrizations(m, "b")
    assert list(m.state_dict()) == ["b"]
    close(m.b, torch.tensor([3.0, 6.0]))


def test_cached_computes_each_parametrized_tensor_once():
    calls = []

    class Counting(ember.nn.Module):
        def forward(self, x):
            calls.append(1)
            return x * 2

    m = P.register_parametrization(ember.nn.Linear(2, 2), "weight", Counting())
    calls.clear()
    with P.cached():
        first = m.weight
        assert m.weight is first
        with P.cached():  # nested: the same cache
            assert m.weight is first
    assert len(calls) == 1
    m.weight
    assert len(calls) == 2


def test_parametrization_is_trained_with_the_module():
    m = ember.nn.utils.parametrizations.spectral_norm(ember.nn.Linear(3, 2))
    m.eval()
    assert not m.parametrizations.weight[0].training
    m.train()
    assert m.parametrizations.weight[0].training
    p = ember.nn.Linear(3, 2).eval()
    P.register_parametrization(p, "weight", scale(ember, 1.0))
    assert not p.parametrizations.weight[0].training


def test_leave_parametrized_false_with_several_originals_raises_like_torch():
    ours = ember.nn.utils.parametrizations.weight_norm(ember.nn.Linear(3, 2))
    ref = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 2))
    with pytest.raises(ValueError):
        TP.remove_parametrizations(ref, "weight", leave_parametrized=False)
    with pytest.raises(ValueError, match="one original, got 2"):
        P.remove_parametrizations(ours, "weight", leave_parametrized=False)
    weight = ours.weight.detach().numpy().copy()
    P.remove_parametrizations(ours, "weight")
    assert isinstance(ours.weight, ember.nn.Parameter) and ours.weight.requires_grad
    np.testing.assert_allclose(ours.weight.detach().numpy(), weight)


def test_parametrize_errors():
    m = ember.nn.Linear(3, 2)
    with pytest.raises(ValueError, match="has no parameter, buffer or parametrized tensor "
                                         "named 'nope'"):
        P.register_parametrization(m, "nope", scale(ember, 1.0))
    with pytest.raises(TypeError, match="expected the parametrization to be an ember.nn.Module, "
                                        "got function"):
        P.register_parametrization(m, "weight", lambda x: x)

    class Shrink(ember.nn.Module):
        def forward(self, x):
            return x[:1]

    with pytest.raises(ValueError, match=r"may not change the tensor's shape unless "
                                         r"unsafe=True: expected \[2, 3\], got \[1, 3\]"):
        P.register_parametrization(m, "weight", Shrink())
    assert not P.is_parametrized(m) and type(m) is ember.nn.Linear
    P.register_parametrization(m, "weight", Shrink(), unsafe=True)
    assert tuple(m.weight.shape) == (1, 3)
    with pytest.raises(ValueError, match="no parametrization on 'bias'"):
        P.remove_parametrizations(m, "bias")
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.register_parameter("weight", ember.nn.Parameter(ember.zeros(2, 3)))

    class Half(ember.nn.Module):
        def forward(self, x):
            return x.half()

    with pytest.raises(ValueError, match="may not change the tensor's dtype"):
        P.register_parametrization(ember.nn.Linear(3, 2), "weight", Half())
    with pytest.raises(ValueError, match="positive, got 0"):
        ember.nn.utils.parametrizations.spectral_norm(ember.nn.Linear(3, 2),
                                                      n_power_iterations=0)
    with pytest.raises(IndexError, match="dim out of range"):
        ember.nn.utils.parametrizations.spectral_norm(ember.nn.Linear(3, 2), dim=2)
    with pytest.raises(ValueError, match="has no parameter or buffer named 'w'"):
        ember.nn.utils.parametrizations.spectral_norm(ember.nn.Linear(3, 2), "w")
    sym = P.register_parametrization(ember.nn.Linear(3, 3), "weight", Symmetric.make(ember))
    with pytest.raises(ValueError, match="may not change the original's dtype: expected "
                                         "ember.float32, got ember.float64"):
        sym.weight = ember.zeros(3, 3, dtype=ember.float64)


@pytest.mark.parametrize("shape, orthogonal_map", [
    ((4, 4), None), ((4, 4), "cayley"), ((4, 4), "householder"), ((3, 5), None),
    ((5, 3), None), ((5, 3), "matrix_exp"), ((5, 3), "cayley")])
@pytest.mark.parametrize("trivialization", [True, False])
def test_orthogonal_matches_torch(shape, orthogonal_map, trivialization):
    ours, ref = twin(lambda lib: lib.nn.Linear(shape[1], shape[0]))
    torch.nn.utils.parametrizations.orthogonal(ref, orthogonal_map=orthogonal_map,
                                               use_trivialization=trivialization)
    ember.nn.utils.parametrizations.orthogonal(ours, orthogonal_map=orthogonal_map,
                                               use_trivialization=trivialization)
    assert list(ours.state_dict()) == list(ref.state_dict())
    # Non-square bases are completed at random: take torch's state.
    ours.load_state_dict(to_ember(ref.state_dict()))
    close(ours.weight, ref.weight)
    w = ours.weight.detach().numpy()
    small = min(shape)
    gram = w @ w.T if shape[0] < shape[1] else w.T @ w
    if trivialization or orthogonal_map == "householder" or shape[0] == shape[1]:
        np.testing.assert_allclose(gram, np.eye(small), atol=1e-10)
    x = rand((2, shape[1]), 40)
    a, b = ours(ember.tensor(x)), ref(torch.tensor(x))
    close(a, b)
    (a ** 3).sum().backward()
    (b ** 3).sum().backward()
    close(ours.parametrizations.weight.original.grad, ref.parametrizations.weight.original.grad)


def test_orthogonal_assignment_matches_torch():
    ours, ref = twin(lambda lib: lib.nn.Linear(4, 4))
    torch.nn.utils.parametrizations.orthogonal(ref)
    ember.nn.utils.parametrizations.orthogonal(ours)
    value = np.linalg.qr(rand((4, 4), 41))[0]
    ours.weight = ember.tensor(value)
    ref.weight = torch.tensor(value)
    close(ours.weight, ref.weight)
    close(ours.parametrizations.weight.original, ref.parametrizations.weight.original)
    close(ours.parametrizations.weight[0].base, ref.parametrizations.weight[0].base)
    not_orthogonal = rand((4, 4), 42)
    ours.weight = ember.tensor(not_orthogonal)
    ref.weight = torch.tensor(not_orthogonal)
    close(ours.weight, ref.weight)


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="expected a matrix or a batch of matrices, got a 1-D"):
        ember.nn.utils.parametrizations.orthogonal(ember.nn.Linear(3, 2), "bias")
    with pytest.raises(ValueError, match="orthogonal_map to be one of matrix_exp, cayley, "
                                         "householder, got 'qr'"):
        ember.nn.utils.parametrizations.orthogonal(ember.nn.Linear(3, 2), orthogonal_map="qr")
    m = ember.nn.utils.parametrizations.orthogonal(ember.nn.Linear(3, 3))
    with pytest.raises(ValueError, match=r"expected a matrix of shape \[3, 3\] to assign, got "
                                         r"\[2, 2\]"):
        m.weight = ember.zeros(2, 2)


def test_assignment_follows_torch():
    # No right_inverse: assignment raises (registration took the identity).
    ours = P.register_parametrization(ember.nn.Linear(3, 2), "weight", scale(ember, 2.0))
    ref = TP.register_parametrization(torch.nn.Linear(3, 2), "weight", scale(torch, 2.0))
    with pytest.raises(RuntimeError):
        ref.weight = torch.ones(2, 3)
    with pytest.raises(RuntimeError, match="Scale does not implement right_inverse"):
        ours.weight = ember.ones(2, 3)

    class Refusing(ember.nn.Module):
        def forward(self, x):
            return x

        def right_inverse(self, x):
            raise NotImplementedError("no inverse")

    m = P.register_parametrization(ember.nn.Linear(3, 2), "weight", Refusing())
    with pytest.raises(NotImplementedError, match="no inverse"):
        m.weight = ember.ones(2, 3)
    # The shape may change through an identity right_inverse, as in PyTorch.
    ours, ref = twin(lambda lib: lib.nn.Linear(3, 3))
    P.register_parametrization(ours, "weight", Symmetric.make(ember))
    TP.register_parametrization(ref, "weight", Symmetric.make(torch))
    value = rand((4, 4), 43)
    ours.weight, ref.weight = ember.tensor(value), torch.tensor(value)
    close(ours.weight, ref.weight)


def test_second_parametrization_right_inverse_is_checked_like_torch():
    class SumBack(ember.nn.Module):
        def forward(self, x):
            return x

        def right_inverse(self, x):
            return x.sum(0)

    m = P.register_parametrization(ember.nn.Linear(3, 2), "weight", scale(ember, 1.0))
    with pytest.raises(ValueError, match="the right_inverse of a parametrization may not change "
                                         "the tensor's shape"):
        P.register_parametrization(m, "weight", SumBack())
    assert len(m.parametrizations.weight) == 1


def test_removing_several_originals_without_grad_gives_a_buffer_like_torch():
    ours = ember.nn.utils.parametrizations.weight_norm(ember.nn.Linear(3, 2))
    ref = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 2))
    for module in (ours, ref):
        for p in module.parameters():
            p.requires_grad_(False)
    P.remove_parametrizations(ours, "weight")
    TP.remove_parametrizations(ref, "weight")
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in ref.named_buffers()] == \
        ["weight"]
    assert list(ours.state_dict()) == list(ref.state_dict())


def test_parametrized_modules_refuse_pickle_and_deepcopy():
    import copy
    import pickle
    m = ember.nn.utils.parametrizations.weight_norm(ember.nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(m)
    replica = copy.deepcopy(m)
    assert type(replica) is type(m)
    close(replica.weight, torch.tensor(m.weight.detach().numpy()))
    assert replica.parametrizations.weight.original0 is not m.parametrizations.weight.original0


def test_parametrize_argument_errors():
    class Pair(ember.nn.Module):
        def forward(self, a, b):
            return a

        def right_inverse(self, w):
            return (w, "not a tensor")

    class NotTensor(ember.nn.Module):
        def forward(self, x):
            return 1.0

    class BadInverse(ember.nn.Module):
        def forward(self, x):
            return x

        def right_inverse(self, x):
            return 3

    with pytest.raises(ValueError, match="expected at least one parametrization, got none"):
        P.ParametrizationList([], ember.zeros(2))
    with pytest.raises(ValueError, match="right_inverse must return a Tensor or a sequence of "
                                         "Tensors, got str at position 1"):
        P.register_parametrization(ember.nn.Linear(2, 2), "weight", Pair())
    with pytest.raises(ValueError, match="a parametrization must return a Tensor, got float"):
        P.register_parametrization(ember.nn.Linear(2, 2), "weight", NotTensor())
    with pytest.raises(ValueError, match="right_inverse must return a Tensor or a sequence of "
                                         "Tensors, got int"):
        P.register_parametrization(ember.nn.Linear(2, 2), "weight", BadInverse())
    m = ember.nn.utils.parametrizations.orthogonal(ember.nn.Linear(3, 3),
                                                   use_trivialization=False)
    with pytest.raises(NotImplementedError, match="needs use_trivialization=True"):
        m.weight = ember.eye(3)
