"""AdaptiveLogSoftmaxWithLoss against PyTorch: names, outputs, loss, gradients,
log_prob, predict and errors."""

import numpy as np
import pytest
import torch

import ember
from reference import close

IN, CLASSES, CUTOFFS = 8, 20, [4, 10]


def twins(head_bias=False, div_value=2.0):
    torch.manual_seed(0)
    ref = torch.nn.AdaptiveLogSoftmaxWithLoss(IN, CLASSES, CUTOFFS, div_value=div_value,
                                              head_bias=head_bias).double()
    ours = ember.nn.AdaptiveLogSoftmaxWithLoss(IN, CLASSES, CUTOFFS, div_value=div_value,
                                               head_bias=head_bias).double()
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    return ours, ref


@pytest.mark.parametrize("head_bias", [False, True])
def test_output_loss_and_gradients_match_torch(head_bias):
    ours, ref = twins(head_bias)
    x = np.random.default_rng(0).standard_normal((7, IN))
    y = np.array([0, 3, 5, 9, 12, 19, 4])  # shortlist, both clusters, edges
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    eo, to = ours(ex, ember.tensor(y)), ref(tx, torch.tensor(y))
    close(eo.output, to.output, what="output")
    close(eo.loss, to.loss, what="loss")
    eo.loss.backward()
    to.loss.backward()
    close(ex.grad, tx.grad, what="input grad")
    for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
        close(p.grad, q.grad, what=f"grad of {name}")


def test_unbatched_and_log_prob_match_torch():
    ours, ref = twins()
    x = np.random.default_rng(1).standard_normal((5, IN))
    close(ours(ember.tensor(x[0]), ember.tensor(15)).output,
          ref(torch.tensor(x[0]), torch.tensor(15)).output)
    close(ours.log_prob(ember.tensor(x)), ref.log_prob(torch.tensor(x)))
    # (PyTorch's log_prob and predict take 2-D input only; Ember's also take one row.)
    close(ours.log_prob(ember.tensor(x[0])), ref.log_prob(torch.tensor(x[:1]))[0])
    probs = ours.log_prob(ember.tensor(x)).exp().sum(1)
    np.testing.assert_allclose(probs.detach().numpy(), 1.0, rtol=1e-12)


def test_predict_matches_torch_inside_and_outside_the_shortlist():
    ours, ref = twins()
    x = np.random.default_rng(2).standard_normal((9, IN))
    # Push some rows' best head entry onto a cluster entry.
    with torch.no_grad():
        ref.head.weight[CUTOFFS[0]] += torch.tensor(x[0]) * 3
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    want = ref.predict(torch.tensor(x)).numpy()
    assert (want >= CUTOFFS[0]).any() and (want < CUTOFFS[0]).any()
    np.testing.assert_array_equal(ours.predict(ember.tensor(x)).numpy(), want)
    assert ours.predict(ember.tensor(x[0])).item() == want[0]


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="sorted in an increasing order"):
        ember.nn.AdaptiveLogSoftmaxWithLoss(IN, CLASSES, [10, 4])
    with pytest.raises(ValueError, match="between 1 and n_classes-1"):
        ember.nn.AdaptiveLogSoftmaxWithLoss(IN, CLASSES, [4, 20])
    with pytest.raises(ValueError, match="length larger than 0"):
        ember.nn.AdaptiveLogSoftmaxWithLoss(IN, CLASSES, [])
    m = ember.nn.AdaptiveLogSoftmaxWithLoss(IN, CLASSES, CUTOFFS, div_value=2.0)
    with pytest.raises(RuntimeError, match=r"target values should be in \[0, 19\]"):
        m(ember.zeros(2, IN), ember.tensor([1, 20]))
    with pytest.raises(RuntimeError, match="same size in the batch dimension"):
        m(ember.zeros(3, IN), ember.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        m(ember.zeros(2, IN), ember.zeros(2, 2, dtype=ember.long))
