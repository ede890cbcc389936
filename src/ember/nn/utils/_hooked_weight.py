"""What ``weight_norm`` and ``spectral_norm`` share: a parameter rebuilt by a forward
pre-hook from others, registered once per name and folded back on removal."""

from ember.nn.parameter import Parameter


def check_not_hooked(module, hook_type, name, what):
    """Refuse a second ``hook_type`` hook on the same parameter ``name``."""
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, hook_type) and hook.name == name:
            raise RuntimeError(f"Cannot register two {what} hooks on the same parameter {name}")


def fold_back(module, hook_type, name, weight_of, parameters, buffers, what):
    """Replace the hooked weight ``name`` by a plain parameter of its current value.

    ``weight_of(hook)`` computes that value; ``parameters`` and ``buffers`` (name
    suffixes) are the hook's own entries, removed. Returns ``module``.
    """
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, hook_type) and hook.name == name:
            weight = weight_of(hook).detach()
            del module._forward_pre_hooks[key]
            for suffix in parameters:
                del module._parameters[name + suffix]
            for suffix in buffers:
                del module._buffers[name + suffix]
            module.__dict__.pop(name, None)
            module.register_parameter(name, Parameter(weight))
            return module
    raise ValueError(f"{what} of '{name}' not found in {module}")
