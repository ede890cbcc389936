"""``skip_init``: build a module without running its parameter initialisation."""

import inspect

from ember.nn.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """Instantiate ``module_cls(*args, **kwargs)`` without initialising its parameters.

    Useful when the values are about to be overwritten (a checkpoint, a custom
    initialisation), so the default initialisation is wasted work. The class
    must accept a ``device`` argument, as PyTorch requires.

    Differs from PyTorch: Ember has no meta device, so the module is built
    without calling its own ``reset_parameters`` (where the standard layers
    draw their initial values): its parameters and buffers keep the contents
    of their freshly allocated tensors, which are unspecified in both
    libraries. Submodules built inside its constructor, and layers that
    initialise outside ``reset_parameters``, are still initialised.

    Raises:
        RuntimeError: if ``module_cls`` is not a Module class or takes no ``device``.
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    # A throwaway subclass whose reset_parameters does nothing; the instance then
    # takes its real class back, so isinstance checks and pickling see module_cls.
    uninitialised = type(module_cls.__name__, (module_cls,),
                         {"reset_parameters": lambda self: None,
                          "__module__": module_cls.__module__})
    module = uninitialised(*args, **kwargs)
    module.__class__ = module_cls
    return module
