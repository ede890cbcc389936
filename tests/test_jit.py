"""``ember.jit``: TorchScript-decorated code runs eagerly with PyTorch's results."""

import typing

import numpy as np
import pytest
import torch

import ember

# PyTorch 2.13 deprecates its jit entry points and says so.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit")


def program(lib):
    """Code in the TorchScript style: a scripted helper, is_scripting branches,
    ignore/unused/export markers, annotate, fork/wait, a traced module."""
    jit = lib.jit

    @jit.script
    def fused_gelu(x):
        return x * 0.5 * (1.0 + lib.erf(x / 1.41421))

    class Block(lib.nn.Module):
        scale: jit.Final[float] = 2.0

        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(3, 3)

        @jit.ignore
        def debug(self, x):
            return x

        @jit.unused
        def unused_path(self, x):
            return x

        @jit.export
        def half(self, x):
            return x / 2

        def forward(self, x):
            if not jit.is_scripting() and not jit.is_tracing():
                x = self.debug(x)
            y = jit.annotate(typing.List[int], [])
            fut = jit.fork(fused_gelu, self.fc(x))
            return self.half(jit.wait(fut)) * self.scale + len(y)

    lib.manual_seed(0)
    block = Block()
    with lib.no_grad():
        for p, v in zip(block.parameters(), (np.eye(3) * 0.5, np.arange(3.0) / 10)):
            p.copy_(lib.tensor(v, dtype=p.dtype))
    scripted = jit.script(block)
    x = lib.tensor([[0.1, -0.2, 0.3], [1.0, 2.0, -1.0]])
    traced = jit.trace(block, (x,))
    return scripted(x), traced(x), fused_gelu(x)


def test_torchscript_style_program_gives_torchs_results():
    for ours, ref in zip(program(ember), program(torch)):
        np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), rtol=1e-6)


def test_entry_points_return_what_they_get_and_archives_are_refused():
    m = ember.nn.Linear(2, 2)
    assert ember.jit.script(m) is m and ember.jit.trace(m, ember.ones(1, 2)) is m
    assert ember.jit.freeze(m) is m and ember.jit.optimize_for_inference(m) is m
    assert ember.jit.is_scripting() is torch.jit.is_scripting() is False
    assert ember.jit.isinstance([1, 2], typing.List[int])
    assert ember.jit.Attribute(3, int) == 3  # PyTorch's value when not compiling
    with pytest.raises(NotImplementedError, match="save the weights with ember.save"):
        ember.jit.save(m, "model.pt")
    with pytest.raises(NotImplementedError, match="cannot read TorchScript archives"):
        ember.jit.load("model.pt")


@pytest.mark.filterwarnings("ignore:The inner type of a container")
def test_isinstance_checks_element_types_as_torch():
    from typing import Dict, List, Optional, Tuple, Union
    cases = [([1, 2], List[int]), ([1, "a"], List[int]), ([[1], ["x"]], List[List[int]]),
             ({"a": 1}, Dict[str, int]), ({"a": "b"}, Dict[str, int]), ({1: 1}, Dict[str, int]),
             ((1, "a"), Tuple[int, str]), ((1,), Tuple[int, str]), (None, Optional[int]),
             ("s", Optional[int]), (3, int | None), (1.0, Union[int, str]), ([], List[int]),
             (3, (str, int)), ({"a": [1]}, dict[str, list[int]]), (3, int)]
    for obj, tp in cases:
        assert ember.jit.isinstance(obj, tp) == torch.jit.isinstance(obj, tp), (obj, tp)
    for bare in (List, Dict, Optional, list):
        for lib in (ember, torch):
            with pytest.raises(RuntimeError, match="without (a )?contained type"):
                lib.jit.isinstance([1], bare)


def test_attribute_in_a_scripted_module_is_its_value():
    for lib in (ember, torch):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.words = lib.jit.Attribute({"a": 1}, typing.Dict[str, int])

            def forward(self, x):
                return x * self.words["a"]
        assert lib.jit.script(M())(lib.ones(2)).tolist() == [1.0, 1.0]


def test_the_remaining_entry_points_are_identities():
    m = ember.nn.Linear(1, 1)
    f = lambda x: x  # noqa: E731
    assert ember.jit.trace_module(m, {"forward": ember.ones(1, 1)}) is m
    assert ember.jit.script_method(f) is f and ember.jit.interface(f) is f
    assert ember.jit.export(f) is f and ember.jit.ignore(f) is f and ember.jit.unused(f) is f
    fut = ember.jit.fork(lambda a, b: a + b, 1, b=2)
    assert fut.done() and fut.wait() == 3 and ember.jit.wait(fut) == 3
