"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict against torch.nn."""

from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
from ember import nn
from reference import close


def _both(build):
    return build(ember), build(torch)


def _same_repr(ours, theirs):
    assert repr(ours) == repr(theirs).replace("torch.", "ember.")


def _keys(m):
    return list(m.state_dict())


def test_sequential_forward_keys_repr_match_torch():
    ours, theirs = _both(lambda lib: lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(),
                                                       lib.nn.Linear(4, 2)))
    assert _keys(ours) == _keys(theirs) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    _same_repr(ours, theirs)
    ours.double().load_state_dict({k: ember.tensor(v.double().numpy())
                                   for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(5, 3))
    close(ours(ember.tensor(x)), theirs.double()(torch.tensor(x)))


def test_sequential_ordered_dict_names():
    ours, theirs = _both(lambda lib: lib.nn.Sequential(OrderedDict(
        enc=lib.nn.Linear(2, 3), act=lib.nn.Tanh())))
    assert _keys(ours) == _keys(theirs) == ["enc.weight", "enc.bias"]
    _same_repr(ours, theirs)
    assert ours.enc is ours[0]


def test_sequential_list_operations_match_torch():
    def ops(lib):
        n = lib.nn
        layers = [n.Linear(1, 1), n.ReLU(), n.Tanh(), n.Sigmoid()]
        s = n.Sequential(*layers)
        names = []
        names.append(type(s[-1]).__name__)
        sub = s[1:3]
        names.append((type(sub).__name__, len(sub), [type(m).__name__ for m in sub]))
        s.append(n.GELU())
        s.insert(1, n.SiLU())
        s.insert(-1, n.ELU())
        s.extend([n.Mish()])
        popped = s.pop(0)
        names.append(type(popped).__name__)
        del s[1]
        s[0] = n.Softsign()
        names.append([type(m).__name__ for m in s])
        names.append(list(s._modules))
        combined = s + n.Sequential(n.ReLU())
        names.append((len(combined), len(s * 2), len(2 * s)))
        s += n.Sequential(n.ReLU6())
        names.append(len(s))
        return names

    assert ops(ember) == ops(torch)
    with pytest.raises(IndexError, match="out of range"):
        nn.Sequential(nn.ReLU())[3]
    with pytest.raises(ValueError, match="Sequential"):
        nn.Sequential() + nn.ModuleList()
    with pytest.raises(TypeError, match="Module"):
        nn.Sequential().insert(0, 3)


def test_module_list_match_torch():
    def ops(lib):
        n = lib.nn
        ml = n.ModuleList([n.Linear(2, 2) for _ in range(3)])
        ml.append(n.ReLU())
        ml.insert(0, n.Tanh())
        ml.extend([n.Sigmoid()])
        ml += [n.ELU()]
        out = [type(m).__name__ for m in ml]
        out.append(type(ml[1:3]).__name__)
        out.append(type(ml.pop(-1)).__name__)
        del ml[0]
        out.append(list(ml._modules))
        out.append(len(ml + n.ModuleList([n.ReLU()])))
        out.append(list(ml.state_dict()))
        return out, repr(ml)

    (o, r), (to, tr) = ops(ember), ops(torch)
    assert o == to
    assert r == tr.replace("torch.", "ember.")
    assert repr(nn.ModuleList()) == "ModuleList()"
    with pytest.raises(TypeError, match="iterable"):
        nn.ModuleList().extend(3)


def test_module_dict_match_torch():
    def ops(lib):
        n = lib.nn
        md = n.ModuleDict({"b": n.Linear(2, 3), "a": n.ReLU()})
        md["c"] = n.Linear(3, 1)
        md.update([("d", n.Tanh())])
        out = [list(md.keys()), "a" in md, len(md), type(md.pop("a")).__name__,
               list(md), list(md.state_dict())]
        return out, repr(md)

    (o, r), (to, tr) = ops(ember), ops(torch)
    assert o == to and r == tr.replace("torch.", "ember.")
    with pytest.raises(ValueError, match="length 2"):
        nn.ModuleDict([("a", nn.ReLU(), 3)])


def test_parameter_list_match_torch():
    def ops(lib):
        n = lib.nn
        pl = n.ParameterList([lib.ones(2), n.Parameter(lib.zeros(3, 4))])
        pl.append(lib.ones(1))
        pl.extend([lib.ones(5)])
        out = [type(p).__name__ for p in pl] + [len(pl), list(pl.state_dict()),
                                                [n for n, _ in pl.named_parameters()]]
        out.append(len(pl[1:]))
        return out, repr(pl)

    (o, r), (to, tr) = ops(ember), ops(torch)
    assert o == to and r == tr.replace("torch.", "ember.")
    with pytest.raises(RuntimeError, match="should not be called"):
        nn.ParameterList()()
    with pytest.raises(TypeError, match="iterable"):
        nn.ParameterList().extend(ember.ones(2))


def test_parameter_dict_match_torch():
    def ops(lib):
        n = lib.nn
        pd = n.ParameterDict({"w": lib.ones(2, 2), "b": lib.zeros(2)})  # plain dict: sorted
        pd["c"] = lib.ones(1)
        out = [list(pd.keys()), [type(v).__name__ for v in pd.values()], "w" in pd,
               list(pd.state_dict()), pd.get("zz", 5), len(pd)]
        out.append(pd.popitem()[0])
        out.append(list(pd.copy().keys()))
        return out, repr(pd)

    (o, r), (to, tr) = ops(ember), ops(torch)
    assert o == to and r == tr.replace("torch.", "ember.")
    with pytest.raises(TypeError, match="not a string"):
        nn.ParameterDict()[1] = ember.ones(1)


def test_containers_move_with_module_and_register_params():
    m = nn.Sequential(nn.Linear(2, 2), nn.ModuleList([nn.Linear(2, 2)]),
                      nn.ParameterDict({"s": ember.ones(2)}))
    assert len(list(m.parameters())) == 5
    m.double()
    assert all(p.dtype == ember.float64 for p in m.parameters())
