"""Distances as modules: ``CosineSimilarity`` and ``PairwiseDistance``, as ``torch.nn``'s."""

from ember.nn import functional as F
from ember.nn.module import Module

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """Cosine similarity of two inputs along ``dim`` (see ``F.cosine_similarity``).

    Args:
        dim: the dimension compared. Default: 1.
        eps: the smallest norm used. Default: 1e-8.
    """

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """p-norm distance of ``x1 - x2 + eps`` over the last dimension.

    Args:
        p: the norm's degree. Default: 2.
        eps: added to the difference. Default: 1e-6.
        keepdim: keep the reduced dimension. Default: False.
    """

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
