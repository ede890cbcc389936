"""``nn.modules.utils`` against PyTorch's."""

import pytest
import torch.nn.modules.utils as tu

import ember.nn.modules.utils as eu


@pytest.mark.parametrize("name,arg", [
    ("_single", 3), ("_single", (4,)), ("_pair", 3), ("_pair", (1, 2)), ("_pair", [1, 2]),
    ("_pair", (1, 2, 3)), ("_triple", 2), ("_triple", (1, 2, 3)), ("_quadruple", 1),
    ("_pair", "ab"), ("_pair", None), ("_pair", 1.5),
])
def test_ntuple_helpers_match_torch(name, arg):
    assert getattr(eu, name)(arg) == getattr(tu, name)(arg)


def test_ntuple_factory_and_the_other_helpers_match_torch():
    assert eu._ntuple(5)(1) == tu._ntuple(5)(1)
    assert eu._reverse_repeat_tuple((1, 2), 2) == tu._reverse_repeat_tuple((1, 2), 2)
    assert eu._reverse_repeat_tuple((3, 0, 1), 1) == tu._reverse_repeat_tuple((3, 0, 1), 1)
    assert eu._list_with_default([None, 3], [5, 6, 7]) == tu._list_with_default([None, 3], [5, 6, 7])
    assert eu._list_with_default(4, [5, 6]) == 4
    for mod in (eu, tu):
        with pytest.raises(ValueError, match="Input dimension should be at least 4"):
            mod._list_with_default([1, 2, 3], [5, 6])
