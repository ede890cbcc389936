"""``AdaptiveLogSoftmaxWithLoss``: the adaptive softmax (Grave et al., 2017), as PyTorch's.

The classes are split at ``cutoffs`` into a frequent shortlist and rarer
clusters. A head layer scores the shortlist plus one entry per cluster; each
cluster has its own small two-layer projection (narrower by ``div_value`` per
cluster) that scores the classes inside it. A class's log-probability is its
head score's, or its cluster's head score plus its score within the cluster,
so most tokens never touch the large tail. Parameter names match PyTorch's
(``head.weight``, ``tail.0.0.weight``, ...), so checkpoints load either way.
"""

from collections import namedtuple

import numpy as np

from ember.backend.device import xp_of
from ember.nn import functional as F
from ember.nn.containers import ModuleList, Sequential
from ember.nn.module import Module
from ember.nn.modules.linear import Linear
from ember.ops.reduce import constant
from ember.ops.shape import cat
from ember.tensor import _host

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax: log-probabilities of target classes, and their mean NLL.

    Args:
        in_features: size of each input vector.
        n_classes: number of classes, ordered from most to least frequent.
        cutoffs: increasing class indices in [1, n_classes - 1] where clusters start.
        div_value: each cluster's hidden size is in_features / div_value ** (k + 1).
            Default: 4.
        head_bias: give the head layer a bias. Default: False.

    ``forward(input, target)`` takes input (N, in_features) and target (N,) (or
    (in_features,) and ()) and returns ``(output, loss)``: each target's
    log-probability and the mean negative log-likelihood. ``log_prob(input)``
    gives every class's log-probability, ``predict(input)`` the most likely class.
    """

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False,
                 device=None, dtype=None):
        super().__init__()
        cutoffs = list(cutoffs)
        if not cutoffs:
            raise ValueError("AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of length "
                             "larger than 0")
        if (cutoffs != sorted(cutoffs) or len(set(cutoffs)) != len(cutoffs)
                or any(int(c) != c for c in cutoffs) or min(cutoffs) <= 0
                or max(cutoffs) > n_classes - 1):
            raise ValueError("AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of "
                             "unique, positive integers sorted in an increasing order, where "
                             f"each value is between 1 and n_classes-1 ({n_classes - 1}), got "
                             f"{cutoffs}")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = [int(c) for c in cutoffs] + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        factory = dict(device=device, dtype=dtype)
        self.head = Linear(in_features, self.head_size, bias=head_bias, **factory)
        self.tail = ModuleList()
        for k in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (k + 1)))
            size = self.cutoffs[k + 1] - self.cutoffs[k]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, **factory),
                                        Linear(hidden, size, bias=False, **factory)))

    def reset_parameters(self):
        """Re-initialise the head and every cluster's projections."""
        self.head.reset_parameters()
        for to_hidden, to_classes in self.tail:
            to_hidden.reset_parameters()
            to_classes.reset_parameters()

    def forward(self, input, target):
        """``(output, loss)``: each target's log-probability and their mean NLL."""
        if target.ndim == 1:
            if input.ndim != 2:
                raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss: a 1-D target expects a 2-D "
                                   f"input, got input of size {tuple(input.shape)}")
            if input.shape[0] != target.shape[0]:
                raise RuntimeError("AdaptiveLogSoftmaxWithLoss: input and target should have "
                                   "the same size in the batch dimension, got "
                                   f"{input.shape[0]} and {target.shape[0]}")
        elif target.ndim == 0:
            if input.ndim != 1:
                raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss: a 0-D target expects a 1-D "
                                   f"input, got input of size {tuple(input.shape)}")
        else:
            raise RuntimeError("AdaptiveLogSoftmaxWithLoss: 0D or 1D target tensor expected, "
                               "multi-target not supported")
        batched = target.ndim == 1
        x = input if batched else input.unsqueeze(0)
        t = _host(target._array).reshape(-1)  # row bookkeeping on the host
        if t.size and (t.min() < 0 or t.max() >= self.n_classes):
            raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss: target values should be in "
                               f"[0, {self.n_classes - 1}], but values in range "
                               f"[{int(t.min())}, {int(t.max())}] were found")
        # Which head entry scores each row: its class if in the shortlist, else its cluster.
        cluster = np.searchsorted(np.asarray(self.cutoffs), t, side="right")  # 0: shortlist
        head_entry = np.where(cluster == 0, t, self.shortlist_size + cluster - 1)
        head_logprob = F.log_softmax(self.head(x), dim=1)
        output = head_logprob.gather(1, self._index(x, head_entry[:, None])).squeeze(1)
        for k in range(1, self.n_clusters + 1):
            rows = np.flatnonzero(cluster == k)
            if rows.size == 0:
                continue
            row_index = self._index(x, rows)
            local = F.log_softmax(self.tail[k - 1](x.index_select(0, row_index)), dim=1)
            within = self._index(x, (t[rows] - self.cutoffs[k - 1])[:, None])
            output = output.index_add(0, row_index, local.gather(1, within).squeeze(1))
        loss = (-output).mean()
        return ASMoutput(output if batched else output.squeeze(0), loss)

    @staticmethod
    def _index(like, values):
        """``values`` as an int64 index constant on ``like``'s device."""
        return constant(xp_of(like._array).asarray(np.asarray(values, np.int64)))

    def _full_log_prob(self, x, head_output):
        head_logprob = F.log_softmax(head_output, dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for k, projection in enumerate(self.tail):
            local = F.log_softmax(projection(x), dim=1)
            parts.append(local + head_logprob[:, self.shortlist_size + k].unsqueeze(1))
        return cat(parts, 1)

    def log_prob(self, input):
        """Every class's log-probability: (N, n_classes), or (n_classes,) for one input."""
        batched = input.ndim > 1
        x = input if batched else input.unsqueeze(0)
        out = self._full_log_prob(x, self.head(x))
        return out if batched else out.squeeze(0)

    def predict(self, input):
        """The most likely class of each input: (N,) int64, or a 0-d tensor for one input.

        Rows whose best head entry is in the shortlist are answered from the head
        alone, as in PyTorch; the rest from the full distribution.
        """
        batched = input.ndim > 1
        x = input if batched else input.unsqueeze(0)
        head_output = self.head(x)
        best = head_output.argmax(dim=1)
        outside = _host(best._array) >= self.shortlist_size
        if outside.any():
            rows = self._index(x, np.flatnonzero(outside))
            full = self._full_log_prob(x.index_select(0, rows), head_output.index_select(0, rows))
            best = best.index_put((rows,), full.argmax(dim=1))
        return best if batched else best.squeeze(0)
