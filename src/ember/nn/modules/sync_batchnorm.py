"""``SyncBatchNorm``: batch norm whose statistics span every process's batch."""

from ember.nn.modules.normalization import _BatchNorm

__all__ = ["SyncBatchNorm"]


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation over an (N, C, *) input of any number of trailing dims,
    with statistics meant to be reduced over all processes of a process group.

    Differs from PyTorch: Ember has no process groups yet, so there is only
    ever one process, and the batch statistics are exactly BatchNorm's (as
    PyTorch's SyncBatchNorm in a world of size 1). ``process_group`` must be
    None. Parameters, buffers and state_dict keys are BatchNorm's.

    Args:
        num_features: C.
        eps, momentum, affine, track_running_stats, bias: as ``BatchNorm1d``.
        process_group: the group to synchronise over; only None (this process).

    Raises:
        NotImplementedError: for a ``process_group`` other than None.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None, *,
                 bias=True):
        if process_group is not None:
            raise NotImplementedError("SyncBatchNorm: process groups are not supported yet; "
                                      "pass process_group=None (one process)")
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Replace every BatchNorm1d/2d/3d in ``module`` (or ``module`` itself) by a
        SyncBatchNorm sharing its parameters and buffers and keeping its training flag.

        Children are replaced in place; the (possibly new) top module is returned.
        """
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group,
                      bias=module.affine and module.bias is not None)
            if module.affine:
                out.weight, out.bias = module.weight, module.bias  # the same Parameters
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out
