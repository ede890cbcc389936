"""L-BFGS: a quasi-Newton method from a short history of steps and gradient changes.

Each ``step(closure)`` runs up to ``max_iter`` iterations on the flattened
parameters: the search direction comes from the two-loop recursion over the
last ``history_size`` (step, gradient change) pairs, scaled by the newest
pair's curvature; the step length is ``lr`` (the first iteration's is scaled
down by the gradient's size), or a strong-Wolfe line search when
``line_search_fn="strong_wolfe"``. The iteration logic, tolerances and state
follow PyTorch's ``torch.optim.LBFGS``, so float64 trajectories agree. (With
float32 parameters PyTorch keeps the step length and curvature scalars as
float32 tensors, where Ember uses Python floats; the trajectories then drift
apart in rounding.)
"""

import numpy as np

from ember.autograd.grad_mode import enable_grad
from ember.backend.device import xp_of
from ember.optim import _util
from ember.optim.optimizer import Optimizer
from ember.tensor import Tensor

__all__ = ["LBFGS"]


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1, slope g1) and (x2, f2, slope g2),
    clipped to ``bounds`` (default: the interval between x1 and x2); the bounds'
    midpoint when the cubic has no minimum.

    In IEEE float64 without exceptions, as PyTorch's tensor arithmetic: a zero
    interval gives inf or nan, which the clipping then resolves.
    """
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    x1, f1, g1, x2, f2, g2 = (np.float64(v) for v in (x1, f1, g1, x2, f2, g2))
    with np.errstate(all="ignore"):
        d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        disc = d1 * d1 - g1 * g2
        if disc < 0:
            return float((lo + hi) / 2.0)
        d2 = np.sqrt(disc)
        if x1 <= x2:
            at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return float(min(max(at, lo), hi))


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Line search along ``d`` from the current point (loss ``f``, gradient ``g``,
    slope ``gtd``) for a step ``t`` meeting the strong Wolfe conditions.

    ``evaluate(t)`` returns (loss, flat gradient) at step t. First a bracket is
    grown by cubic extrapolation; then it is shrunk by cubic interpolation (the
    "zoom"). Returns (loss, gradient, t, evaluations).
    """
    xp = xp_of(d)
    d_norm = float(xp.abs(d).max())
    g = g.copy()
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        overshot = f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev)
        if not overshot and abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if overshot or gtd_new >= 0:  # a minimum lies between t_prev and t
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # Extrapolate: a longer step, between 1.01 t and 10 t.
        t_next = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new.copy(), gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]
    # Zoom: shrink the bracket until the conditions hold.
    stalled = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1],
                           bracket_gtd[1])
        # Keep t away from the bracket's ends; if it stalls near one twice, step inside.
        top, bottom = max(bracket), min(bracket)
        margin = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < margin:
            if stalled or t >= top or t <= bottom:
                t = top - margin if abs(t - top) < abs(t - bottom) else bottom + margin
                stalled = False
            else:
                stalled = True
        else:
            stalled = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new.copy(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new
            bracket_g[low], bracket_gtd[low] = g_new.copy(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


class LBFGS(Optimizer):
    """Limited-memory BFGS (Nocedal, 1980), as ``torch.optim.LBFGS``.

    ``step(closure)`` needs a closure that zeroes the gradients, computes the
    loss, calls ``backward`` and returns the loss; it is called several times.

    Args:
        params: parameters (one group only).
        lr: step length. Default: 1.
        max_iter: iterations per ``step``. Default: 20.
        max_eval: closure evaluations per ``step``. Default: max_iter * 5 / 4.
        tolerance_grad: stop when every gradient entry is this small. Default: 1e-7.
        tolerance_change: stop when the step or the loss change is this small. Default: 1e-9.
        history_size: pairs kept for the direction. Default: 100.
        line_search_fn: None (fixed steps) or "strong_wolfe". Default: None.

    State (in ``state[first parameter]``): ``func_evals``, ``n_iter`` and the
    search history (``d``, ``t``, ``old_dirs``, ``old_stps``, ``ro``,
    ``H_diag``, ``prev_flat_grad``, ``prev_loss``, ``al``), as PyTorch keeps them.
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        _util.check_nonnegative("lr", "learning rate", lr, "LBFGS")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got "
                             f"{line_search_fn!r}")
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ---- the flat view of the parameters ---------------------------------------------
    def _flat_grad(self):
        xp = xp_of(self._params[0]._array)
        return xp.concatenate([p.grad._array.reshape(-1) if p.grad is not None else
                               xp.zeros(p._array.size, p._array.dtype) for p in self._params])

    def _add(self, t, d):
        offset = 0
        for p in self._params:
            n = p._array.size
            p._array += t * d[offset:offset + n].reshape(p._array.shape)
            p._bump_version()
            offset += n

    def _evaluate(self, closure):
        with enable_grad():
            return float(closure())

    def _directional(self, closure, start, t, d):
        """(loss, flat gradient) at ``start + t d``; the parameters are put back after."""
        self._add(t, d)
        loss = self._evaluate(closure)
        grad = self._flat_grad()
        for p, saved in zip(self._params, start):
            p._array[...] = saved
            p._bump_version()
        return loss, grad

    def step(self, closure):
        """Up to ``max_iter`` L-BFGS iterations; returns the closure's first loss.

        Raises:
            RuntimeError: without a closure.
        """
        if closure is None:
            raise RuntimeError("LBFGS requires a closure that reevaluates the model and "
                               "returns the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size, line_search = group["history_size"], group["line_search_fn"]
        xp = xp_of(self._params[0]._array)
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if float(xp.abs(flat_grad).max()) <= tolerance_grad:
            return orig_loss

        d, prev_flat_grad = _array(state.get("d")), _array(state.get("prev_flat_grad"))
        old_dirs = [_array(v) for v in state["old_dirs"]] if "old_dirs" in state else None
        old_stps = [_array(v) for v in state["old_stps"]] if "old_stps" in state else None
        t, ro, h_diag = state.get("t"), state.get("ro"), state.get("H_diag")
        prev_loss = state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, h_diag = [], [], [], 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:  # keep the pair only where the curvature is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y), old_stps.append(s), ro.append(1.0 / ys)
                    h_diag = ys / float(y @ y)
                # The two-loop recursion: d = -H g with the history's inverse Hessian.
                al = state.setdefault("al", [None] * history_size)
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = float(old_stps[i] @ q) * ro[i]
                    q -= al[i] * old_dirs[i]
                d = q * h_diag
                for i in range(len(old_dirs)):
                    beta = float(old_dirs[i] @ d) * ro[i]
                    d += (al[i] - beta) * old_stps[i]
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(xp.abs(flat_grad).sum())) * lr
            else:
                t = lr
            gtd = float(flat_grad @ d)
            if gtd > -tolerance_change:  # not a descent direction
                break
            step_evals = 0
            if line_search is not None:
                start = [p._array.copy() for p in self._params]
                # The line search may use the evaluations this step has left.
                loss, flat_grad, t, step_evals = _strong_wolfe(
                    lambda step: self._directional(closure, start, step, d), t, d, loss,
                    flat_grad, gtd, max_ls=max_eval - evals)
                self._add(t, d)
                converged = float(xp.abs(flat_grad).max()) <= tolerance_grad
            else:
                self._add(t, d)
                converged = False
                if n_iter != max_iter:  # the last iteration's loss is the next step's job
                    loss = self._evaluate(closure)
                    flat_grad = self._flat_grad()
                    converged = float(xp.abs(flat_grad).max()) <= tolerance_grad
                    step_evals = 1
            evals += step_evals
            state["func_evals"] += step_evals
            if (n_iter == max_iter or evals >= max_eval or converged
                    or float(xp.abs(d * t).max()) <= tolerance_change
                    or abs(loss - prev_loss) < tolerance_change):
                break

        # Kept as Tensors, as PyTorch keeps them (and as checkpoints store them).
        state.update(d=_tensor(d), t=t, old_dirs=[_tensor(v) for v in old_dirs],
                     old_stps=[_tensor(v) for v in old_stps], ro=ro, H_diag=h_diag,
                     prev_flat_grad=_tensor(prev_flat_grad), prev_loss=prev_loss)
        return orig_loss


def _tensor(array):
    return None if array is None else Tensor._wrap(array, False, None, 0)


def _array(value):
    """A state entry's array (a copy: the step updates its arrays in place)."""
    if value is None:
        return None
    return (value._array if isinstance(value, Tensor) else value).copy()
