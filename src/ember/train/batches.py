"""Turning a DataLoader batch into model inputs and targets, on the right device."""

from ember.tensor import Tensor

__all__ = ["split_batch", "to_device", "call_model", "batch_size", "concat_outputs"]

INPUT_KEYS = ("inputs", "input", "x")
TARGET_KEYS = ("targets", "target", "labels", "label", "y")


def _pick(batch, keys, what):
    found = [k for k in keys if k in batch]
    if len(found) != 1:
        raise KeyError(f"Trainer: a dict batch needs exactly one {what} key among {keys}, got "
                       f"keys {sorted(batch)}; pass batch_fn= to unpack it yourself")
    return batch[found[0]]


def split_batch(batch, batch_fn=None):
    """(inputs, targets) from a batch: a 2-tuple/list, a dict, or whatever ``batch_fn`` returns.

    A dict batch must hold one input key (``inputs``, ``input``, ``x``) and one
    target key (``targets``, ``target``, ``labels``, ``label``, ``y``).
    """
    if batch_fn is not None:
        batch = batch_fn(batch)
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            raise TypeError(f"Trainer: batch_fn must return (inputs, targets), got "
                            f"{type(batch).__name__}"
                            + (f" of length {len(batch)}" if isinstance(batch, (tuple, list))
                               else ""))
        return batch[0], batch[1]
    if isinstance(batch, dict):
        return _pick(batch, INPUT_KEYS, "input"), _pick(batch, TARGET_KEYS, "target")
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    what = f"{type(batch).__name__} of length {len(batch)}" \
        if isinstance(batch, (tuple, list)) else type(batch).__name__
    raise TypeError(f"Trainer: expected each batch to be (inputs, targets) or a dict, got "
                    f"{what}; pass batch_fn= to unpack it")


def to_device(obj, device):
    """``obj`` with every Tensor inside (tuples, lists, dicts) moved to ``device``."""
    if isinstance(obj, Tensor):
        return obj if obj.device == device else obj.to(device)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, (tuple, list)):
        return type(obj)(to_device(v, device) for v in obj)
    return obj


def call_model(model, inputs):
    """model(*inputs) for a tuple or list, model(**inputs) for a dict, else model(inputs)."""
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    if isinstance(inputs, dict):
        return model(**inputs)
    return model(inputs)


def batch_size(targets):
    """Leading size of the first Tensor in ``targets`` (1 if there is none)."""
    if isinstance(targets, Tensor):
        return targets.shape[0] if targets.dim() > 0 else 1
    values = targets.values() if isinstance(targets, dict) else \
        targets if isinstance(targets, (tuple, list)) else ()
    for value in values:
        if isinstance(value, Tensor):
            return batch_size(value)
    return 1


def concat_outputs(outputs):
    """Concatenate per-batch outputs along dim 0 (Tensors, or tuples/dicts of Tensors)."""
    import ember
    first = outputs[0]
    if isinstance(first, Tensor):
        return ember.cat(outputs, dim=0)
    if isinstance(first, dict):
        return {k: concat_outputs([o[k] for o in outputs]) for k in first}
    if isinstance(first, (tuple, list)):
        return type(first)(concat_outputs(list(parts)) for parts in zip(*outputs))
    raise TypeError(f"Trainer.predict: cannot concatenate model outputs of type "
                    f"{type(first).__name__}; expected Tensors or tuples/dicts of Tensors")
