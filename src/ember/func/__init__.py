"""Function transforms, as ``torch.func``.

- ``functional_call(module, params, args)``: a module as a pure function of
  its parameters and buffers; ``stack_module_state(models)`` stacks an
  ensemble's.
- ``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``,
  ``hessian``: derivatives of functions of Tensors, composable with each other
  and with ``backward`` (see ``_transforms``).
- ``vmap``: a function mapped over a dimension of its inputs (one call per
  slice, see ``_vmap``), e.g. per-sample gradients as
  ``vmap(grad(loss), in_dims=(None, 0, 0))(params, xs, ys)``.
"""

from ember.func._call import functional_call, stack_module_state
from ember.func._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from ember.func._vmap import vmap

__all__ = ["functional_call", "stack_module_state", "grad", "grad_and_value", "vjp", "jvp",
           "jacrev", "jacfwd", "hessian", "vmap"]
