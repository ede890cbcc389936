"""``Tensor``: an ndarray plus what autograd needs to know about it.

A Tensor holds ``_array`` (a NumPy or CuPy array), ``requires_grad``, ``grad``,
``grad_fn`` (the graph node that made it, None for leaves) and a version
counter that in-place ops bump. Views share storage and the version
counter of their ``_base``. Ember's own code reads ``t._array`` for the raw
array; ``t.data`` is PyTorch's: a detached Tensor sharing that array.

Every computing method is sugar over an op in ``ember.ops``; plain ones are
bound onto the class in ``ember/_tensor_methods.py``. This file holds what is
specific to the object itself: construction, metadata, conversion, autograd
entry points and Python's operator protocol.
"""

import numbers

import numpy as np

from ember.backend import dtype as _dt
from ember.backend.device import array_module, as_device, device_of, resolve

__all__ = ["Tensor", "layout", "strided", "memory_format", "contiguous_format", "channels_last",
           "channels_last_3d", "preserve_format", "FloatTensor", "DoubleTensor", "HalfTensor",
           "BFloat16Tensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor",
           "BoolTensor"]

_ops = None  # ember.ops, bound at import end (ops are built on Tensor)


class Size(tuple):
    """The sizes of a tensor's dimensions (``torch.Size``): a tuple, so it compares
    equal to one and goes wherever one goes, plus ``numel()``; slices and sums
    with tuples stay Sizes. ``repr`` is ``ember.Size([2, 3])``."""

    __slots__ = ()

    def numel(self):
        """The number of elements a tensor of this shape holds."""
        n = 1
        for d in self:
            n *= d
        return n

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        return Size(tuple.__add__(tuple(other), self))

    def __mul__(self, times):
        return Size(tuple.__mul__(self, times))

    __rmul__ = __mul__

    def __repr__(self):
        return f"ember.Size({list(self)})"

    __str__ = __repr__

    def __reduce__(self):
        return Size, (tuple(self),)


class Tensor:
    """A multi-dimensional array that can take part in automatic differentiation.

    Build one with ``ember.tensor(data)`` or a factory (``zeros``, ``randn``...);
    ``Tensor(data)`` also works, like ``torch.Tensor``, and gives float32.
    """

    __slots__ = ("_array", "requires_grad", "grad", "grad_fn", "_output_nr", "_version",
                 "_base", "_view_fn", "_hooks", "_retains_grad", "__weakref__")
    __array_priority__ = 1000  # ndarray op Tensor -> Tensor's reflected operator

    def __init__(self, *args, requires_grad=False, device=None, dtype=None):
        if len(args) == 1 and not isinstance(args[0], int):
            arr = np.asarray(args[0]._array if isinstance(args[0], Tensor) else args[0])
            if dtype is None:
                dtype = _dt.get_default_dtype()
        else:  # Tensor(2, 3) is uninitialised; Tensor() is empty, of shape (0,)
            arr = np.empty(_shape_arg(args, "Tensor") if args else (0,))
            dtype = dtype or _dt.get_default_dtype()
        arr = arr.astype(_dt.as_dtype(dtype).np, copy=False)
        if device is not None:
            arr = array_module(as_device(device)).asarray(arr)
        _init(self, arr, False, None, 0)
        if requires_grad:
            self.requires_grad_()

    @staticmethod
    def _wrap(data, requires_grad, grad_fn, output_nr):
        """Fast internal constructor from an ndarray (no checks, no copy)."""
        t = _new(Tensor)
        t._array = data
        t.requires_grad = requires_grad
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        t.grad = None
        t._version = 0
        t._base = None
        t._view_fn = None
        t._hooks = None
        t._retains_grad = False
        return t

    # ---- metadata -------------------------------------------------------
    @property
    def shape(self):
        """The size of each dimension, an ``ember.Size`` (a tuple)."""
        return Size(self._array.shape)

    def size(self, dim=None):
        """The shape (an ``ember.Size``), or the size of dimension ``dim``."""
        if dim is None:
            return Size(self._array.shape)
        return self._array.shape[_ops.wrap_dim(dim, self._array.ndim, "size")]

    @property
    def ndim(self):
        """Number of dimensions."""
        return self._array.ndim

    def dim(self):
        """Number of dimensions."""
        return self._array.ndim

    ndimension = dim

    def numel(self):
        """Number of elements."""
        return self._array.size

    nelement = numel

    @property
    def dtype(self):
        """The element type (``ember.float32``...)."""
        return _dt.from_numpy_dtype(self._array.dtype)

    @property
    def device(self):
        """The device holding the data."""
        return device_of(self._array)

    @property
    def is_cuda(self):
        """True for tensors on a CUDA device."""
        return type(self._array) is not np.ndarray

    @property
    def is_leaf(self):
        """True for tensors not made by a recorded op (their .grad is kept)."""
        return self.grad_fn is None

    def is_floating_point(self):
        """True for floating dtypes."""
        return self.dtype.is_floating_point

    def element_size(self):
        """Bytes per element."""
        return self._array.itemsize

    @property
    def itemsize(self):
        """Bytes per element."""
        return self._array.itemsize

    @property
    def nbytes(self):
        """Bytes taken by the elements (``numel() * itemsize``)."""
        return self._array.nbytes

    def is_signed(self):
        """True for dtypes that hold negative numbers (floats and signed integers)."""
        return self.dtype.is_signed

    def is_complex(self):
        """Always False: Ember has no complex dtypes."""
        return False

    def is_contiguous(self, memory_format=None):
        """True if the data is laid out without gaps in ``memory_format``'s order.

        The default (``ember.contiguous_format``; ``preserve_format`` means the
        same here, as in PyTorch) is row-major. ``ember.channels_last`` asks for
        NHWC order of a 4-D tensor, ``channels_last_3d`` NDHWC of a 5-D one;
        other ranks are never contiguous in those. Dimensions of size 1 may
        have any stride, as PyTorch counts.
        """
        order = _dim_order(memory_format, "is_contiguous")
        if order is None:
            return bool(self._array.flags.c_contiguous)
        return self._array.ndim == len(order) and _dense_in_order(self, order)

    def contiguous(self, memory_format=None):
        """``self`` if laid out in ``memory_format`` (default row-major), else a copy that is;
        gradients flow through the copy.

        ``ember.channels_last`` gives a 4-D tensor NHWC strides (values and shape
        unchanged), ``channels_last_3d`` a 5-D one NDHWC strides. As in PyTorch,
        ``preserve_format`` is refused unless the tensor is already contiguous.
        """
        order = _dim_order(memory_format, "contiguous")
        if order is None:
            if memory_format is preserve_format and not self._array.flags.c_contiguous:
                raise RuntimeError("contiguous: preserve memory format is unsupported by the "
                                   "contiguous operator")
            return _ops.contiguous(self)
        _check_rank(self, memory_format)
        return self if _dense_in_order(self, order) else _copy_in_order(self, order)

    def stride(self, dim=None):
        """Strides in elements, as PyTorch counts them."""
        s = tuple(x // self._array.itemsize for x in self._array.strides)
        return s if dim is None else s[_ops.wrap_dim(dim, self._array.ndim, "stride")]

    def data_ptr(self):
        """Address of the first element."""
        if self.is_cuda is False:
            return self._array.__array_interface__["data"][0]
        return self._array.data.ptr  # a CuPy array's .data is its memory pointer

    def get_device(self):
        """The CUDA index, or -1 on the CPU."""
        d = self.device
        return -1 if d.type == "cpu" else d.index

    @property
    def is_cpu(self):
        """True for tensors in host memory."""
        return type(self._array) is np.ndarray

    @property
    def layout(self):
        """The memory layout: ``ember.strided`` (sparse COO tensors are ``SparseCooTensor``)."""
        return strided

    # Kinds of tensor Ember does not have; scripts test them before branching.
    is_sparse = property(lambda self: False, doc="False: a Tensor is dense (sparse COO "
                                               "tensors are ``SparseCooTensor``).")
    is_sparse_csr = property(lambda self: False, doc="Always False: Ember has no CSR tensors.")
    is_quantized = property(lambda self: False,
                            doc="Always False: Ember has no quantized tensors.")
    is_meta = property(lambda self: False,
                       doc="Always False: Ember has no meta (shape-only) tensors.")
    is_nested = property(lambda self: False, doc="Always False: Ember has no nested tensors.")
    is_mkldnn = property(lambda self: False, doc="Always False: Ember has no MKL-DNN layout.")

    def untyped_storage(self):
        """The bytes of the memory this tensor lives in (its base's, for a view):
        an ``ember.UntypedStorage``."""
        from ember.storage import UntypedStorage
        return UntypedStorage(self._array)

    def storage(self):
        """The memory as elements of this dtype (``TypedStorage``; deprecated, as in
        PyTorch: use ``untyped_storage``)."""
        from ember.storage import typed_storage
        return typed_storage(self._array, self.dtype)

    def storage_offset(self):
        """Offset of the first element from the start of the underlying memory, in elements.

        The memory is the array that owns this tensor's data (the tensor a view
        was taken from), as PyTorch counts in its storage: ``x[1].storage_offset()``
        of a contiguous ``(2, 3)`` ``x`` is 3.
        """
        a = self._array
        root = storage_root(a)
        return (_address(a) - _address(root)) // a.itemsize

    @property
    def real(self):
        """The real part: the tensor itself, since Ember's dtypes are all real."""
        return self

    @real.setter
    def real(self, value):
        _ops.copy_(self, value)

    @property
    def imag(self):
        """Raises: real tensors have no imaginary part, as in PyTorch."""
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    @property
    def data(self):
        """This tensor's data as a new Tensor, detached from the graph (``torch.Tensor.data``).

        It shares memory with ``self`` and does not require grad. Unlike
        ``detach()`` it has its own version counter, so in-place changes
        through it (``p.data.normal_()``, ``p.data.add_(g, alpha=-lr)``) are
        invisible to autograd's checks on saved tensors, as in PyTorch. The raw
        NumPy/CuPy array is the internal ``_array`` slot.
        """
        return Tensor._wrap(self._array, False, None, 0)

    @data.setter
    def data(self, value):
        # As torch's set_data: swap the storage; shape and dtype may change.
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data: expected a Tensor to assign, got {type(value).__name__}")
        self._array = value._array

    # ---- conversion -----------------------------------------------------
    def numpy(self, *, force=False):
        """The data as a NumPy array (shares memory on the CPU).

        Raises if the tensor requires grad (call ``.detach()`` first) unless
        ``force=True``.
        """
        if self.requires_grad and not force:
            raise RuntimeError("numpy(): can't call numpy() on a tensor that requires grad; "
                               "use tensor.detach().numpy()")
        if type(self._array) is np.ndarray:
            return self._array
        return self._array.get()

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._array.size != 1:
            raise RuntimeError(f"item(): a Tensor with {self._array.size} elements cannot be "
                               "converted to a Python scalar")
        return _python_values(_host(self._array).reshape(()))

    def tolist(self):
        """The data as (nested) Python lists of numbers (a number for 0-d tensors)."""
        return _python_values(_host(self._array))

    def __array__(self, dtype=None, copy=None):
        a = _host(self._array)
        if dtype is not None and np.dtype(dtype) != a.dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def to(self, *args, **kwargs):
        """Convert dtype and/or device, as PyTorch's overloads.

        ``to(dtype)``, ``to(device, dtype=None)``, ``to(other)`` (its dtype and
        device); keywords ``dtype``, ``device``, ``copy`` and ``non_blocking``.
        Returns self when nothing changes (unless ``copy=True``); gradients
        flow back through the conversion, in the source dtype. A conversion
        keeps the memory layout; ``memory_format=`` (``ember.channels_last``...)
        then lays the result out as ``contiguous(memory_format)`` does.
        """
        fmt = kwargs.get("memory_format")
        if fmt is not None and fmt is not preserve_format:
            order = _dim_order(fmt, "to") or tuple(range(self._array.ndim - 1, -1, -1))
            _check_rank(self, fmt)
            t = self.to(*args, **{k: v for k, v in kwargs.items() if k != "memory_format"})
            # As PyTorch: kept only with exactly the strides a fresh tensor of that
            # format has (contiguous() also keeps other strides of size-1 dimensions).
            return t if t.stride() == _strides_in_order(t.shape, order) else _copy_in_order(t, order)
        dev, dtype, copy = _parse_to(args, kwargs)
        if dtype is not None:
            dtype = _dt.as_dtype(dtype)
            if dtype.np == self._array.dtype:
                dtype = None
        if dev is not None:
            dev = resolve(as_device(dev))
            if dev == self.device:
                dev = None
        if dtype is None and dev is None:
            return self.clone() if copy else self
        return _ops.convert.to_copy(self, dtype, dev)

    def cpu(self):
        """This tensor on the CPU."""
        return self.to("cpu")

    def cuda(self, device=None):
        """This tensor on a CUDA device."""
        return self.to(as_device("cuda" if device is None else device))

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """Without ``dtype``, the legacy type name; else this tensor cast to ``dtype``.

        The name is PyTorch's with Ember's prefix: ``"ember.FloatTensor"``,
        ``"ember.cuda.LongTensor"`` on a GPU. ``dtype`` may be an Ember dtype, a
        legacy type (``ember.LongTensor``, ``ember.cuda.FloatTensor``, which also
        move the tensor to the CPU or GPU) or such a name as a string, written
        with either prefix (``"torch.LongTensor"`` or ``"ember.LongTensor"``), so
        scripts that pass PyTorch's strings keep working. Returns self when
        nothing changes.

        Differs from PyTorch: the name starts with ``ember.``, not ``torch.``.
        """
        if dtype is None:
            return ("ember.cuda." if self.is_cuda else "ember.") + _TYPE_NAMES[self.dtype.name]
        if isinstance(dtype, str):
            dtype = _legacy_type_named(dtype)
        if isinstance(dtype, _LegacyTensorType):
            device = None
            if dtype.is_cuda != self.is_cuda:
                device = "cuda" if dtype.is_cuda else "cpu"
            return self.to(device=device, dtype=dtype.dtype, non_blocking=non_blocking)
        return self.to(dtype, non_blocking=non_blocking)

    def float(self):
        """Cast to float32."""
        return self.to(_dt.float32)

    def double(self):
        """Cast to float64."""
        return self.to(_dt.float64)

    def half(self):
        """Cast to float16."""
        return self.to(_dt.float16)

    def bfloat16(self):
        """Cast to bfloat16."""
        return self.to(_dt.bfloat16)

    def long(self):
        """Cast to int64."""
        return self.to(_dt.int64)

    def int(self):
        """Cast to int32."""
        return self.to(_dt.int32)

    def short(self):
        """Cast to int16."""
        return self.to(_dt.int16)

    def char(self):
        """Cast to int8."""
        return self.to(_dt.int8)

    def byte(self):
        """Cast to uint8."""
        return self.to(_dt.uint8)

    def bool(self):
        """Cast to bool."""
        return self.to(_dt.bool_)

    def type_as(self, other):
        """Cast to ``other``'s dtype."""
        return self.to(other.dtype)

    # ---- factories that default to this tensor's dtype and device --------
    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        """``ember.tensor(data)`` in this tensor's dtype and on its device by default."""
        return _ops.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                           requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """``ember.zeros(size)`` in this tensor's dtype and on its device by default."""
        return _ops.zeros(*size, dtype=dtype or self.dtype, device=device or self.device,
                          requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """``ember.ones(size)`` in this tensor's dtype and on its device by default."""
        return _ops.ones(*size, dtype=dtype or self.dtype, device=device or self.device,
                         requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """``ember.empty(size)`` in this tensor's dtype and on its device by default."""
        return _ops.empty(*size, dtype=dtype or self.dtype, device=device or self.device,
                          requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """``ember.full(size, fill_value)`` in this tensor's dtype and on its device by default."""
        return _ops.full(size, fill_value, dtype=dtype or self.dtype,
                         device=device or self.device, requires_grad=requires_grad)

    def bernoulli(self, p=None, *, generator=None):
        """``ember.bernoulli(self, p)``: 1 with probability ``self`` (or ``p``), else 0."""
        return _ops.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """``ember.multinomial(self, ...)``: category indices drawn from these weights."""
        return _ops.multinomial(self, num_samples, replacement, generator=generator)

    # ---- autograd ---------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate the gradient of this tensor into the ``.grad`` of leaves.

        Args:
            gradient: d(something)/d(self); may be omitted only for one-element tensors.
            retain_graph: keep the graph for another backward (default: create_graph).
            create_graph: record the backward itself, for higher-order gradients.
            inputs: accumulate only into these leaves.
        """
        from ember.autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def requires_grad_(self, requires_grad=True):
        """Set whether autograd records ops on this leaf; returns self."""
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError(f"requires_grad_: only floating point tensors can require "
                               f"gradients, got dtype {self.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_(False): only leaf tensors can stop requiring "
                               "grad; use detach() on a tensor computed by an op")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        """A new tensor sharing data and version counter, cut from the graph."""
        t = Tensor._wrap(self._array, False, None, 0)
        t._base = self._base if self._base is not None else self
        return t

    def detach_(self):
        """Cut this tensor from the graph in place; returns self."""
        if self._view_fn is not None:
            raise RuntimeError("detach_: can't detach views in-place; use detach() instead")
        self.grad_fn = None
        self.requires_grad = False
        return self

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed.

        The hook may return a replacement gradient. Returns a handle whose
        ``remove()`` unregisters it.
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that "
                               "doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            node = self.grad_fn
            if node._hooks is None:
                node._hooks = {}
            hooks = node._hooks.setdefault(self._output_nr, [])
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` after ``backward()`` has accumulated into this leaf's ``.grad``.

        For leaves only (``torch.Tensor.register_post_accumulate_grad_hook``); the
        hook reads or changes ``self.grad`` (an optimizer step fused into
        backward, say) and its return value is ignored. ``autograd.grad``, which
        accumulates nothing, does not call it. Returns a handle whose
        ``remove()`` unregisters it.
        """
        if not self.requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook: cannot register a hook on "
                               "a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("register_post_accumulate_grad_hook: post accumulate grad hooks "
                               "cannot be registered on non-leaf tensors")
        if self._hooks is None:
            self._hooks = []
        wrapped = PostAccumulateGradHook(hook)
        self._hooks.append(wrapped)
        return _HookHandle(self._hooks, wrapped)

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if self.grad_fn is None or self._retains_grad:
            return
        if not self.requires_grad:
            raise RuntimeError("retain_grad: can't retain_grad on a tensor that has "
                               "requires_grad=False")
        # Kept apart from hooks: the engine stores the gradient after every
        # hook on this tensor has run, as PyTorch does.
        import weakref
        node = self.grad_fn
        if node._hooks is None:
            node._hooks = {}  # makes the engine take its hook-aware path for this node
        node.__dict__.setdefault("_retain", {})[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    @property
    def retains_grad(self):
        """True if ``retain_grad()`` was called on this non-leaf tensor."""
        return self._retains_grad

    @property
    def _version_counter(self):
        return (self._base if self._base is not None else self)._version

    def share_memory_(self):
        """Move this CPU tensor's data into shared memory (a no-op if it is there
        already, or on CUDA): processes forked afterwards, and processes given
        it through ``ember.multiprocessing``, see and make the same updates
        (Hogwild training). Returns self."""
        if type(self._array) is not np.ndarray:
            return self
        if self._base is not None:
            raise RuntimeError("share_memory_: only a tensor that owns its memory can move it "
                               "(this one is a view); share its base")
        from ember.backend import shared_memory
        if not shared_memory.is_shared(self._array):
            self._array = shared_memory.share(self._array)
        return self

    def is_shared(self):
        """Whether the data lives in shared memory (``share_memory_``)."""
        from ember.backend import shared_memory
        return type(self._array) is np.ndarray and shared_memory.is_shared(self._array)

    @property
    def output_nr(self):
        """Which output of its ``grad_fn`` this tensor is (0 for a leaf)."""
        return self._output_nr

    def _bump_version(self):
        root = self._base if self._base is not None else self
        root._version += 1

    @property
    def T(self):
        """All dimensions reversed (PyTorch deprecates it beyond 2-D; allowed here)."""
        return _ops.permute(self, tuple(range(self._array.ndim - 1, -1, -1)))

    @property
    def mT(self):
        """The last two dimensions swapped (batched matrix transpose)."""
        if self._array.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices, "
                               f"got a {self._array.ndim}-D tensor")
        return _ops.transpose(self, -2, -1)

    @property
    def H(self):
        """Conjugate transpose of a matrix; for real dtypes, ``.T``."""
        return self.T

    @property
    def mH(self):
        """Batched conjugate transpose; for real dtypes, ``.mT``."""
        return self.mT

    # ---- Python protocol ------------------------------------------------
    def __repr__(self):
        from ember._format import format_tensor
        return format_tensor(self)

    def __len__(self):
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    def __iter__(self):
        if self._array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(_ops.unbind(self, 0))

    def __bool__(self):
        if self._array.size != 1:
            raise RuntimeError(f"Boolean value of a tensor with {self._array.size} elements is "
                               "ambiguous; use .any() or .all()")
        return bool(self._array.reshape(()))

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._array.dtype.kind not in "iub" or self._array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __hash__(self):
        return id(self)

    def __contains__(self, item):
        if not isinstance(item, (Tensor, numbers.Number)):
            raise RuntimeError(f"Tensor.__contains__ only supports a Tensor or a number, got "
                               f"{type(item).__name__}")
        return bool((self == item).any())

    def __format__(self, spec):
        if self._array.ndim == 0 and type(self) is Tensor:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("deepcopy: only tensors created explicitly by the user (graph "
                               "leaves) support the deepcopy protocol; detach() first")
        if id(self) in memo:
            return memo[id(self)]
        t = _new(type(self))
        _init(t, self._array.copy(), self.requires_grad, None, 0)
        memo[id(self)] = t
        if self.grad is not None:
            t.grad = self.grad.__deepcopy__(memo)
        if hasattr(self, "__dict__"):  # subclasses (Parameter) may carry attributes
            import copy
            t.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return t

    def __reduce__(self):
        # Data travel on the host; the tensor comes back on its device, a leaf.
        state = self.__dict__ if hasattr(self, "__dict__") else None
        return (_rebuild, (type(self), _host(self._array), str(self.device), self.requires_grad,
                           state))

    # Operators: reflected ones swap arguments; in-place ones commit the
    # out-of-place result into this tensor's storage.
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(self, other)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.rsub(self, other)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(self, other)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(_ops.as_operand(other, self), self)

    def __floordiv__(self, other):
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.floor_divide(_ops.as_operand(other, self), self)

    def __mod__(self, other):
        return _ops.remainder(self, other)

    def __rmod__(self, other):
        return _ops.remainder(_ops.as_operand(other, self), self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(_ops.as_operand(other, self), self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(_ops.as_operand(other, self), self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __invert__(self):
        return _ops.bitwise_not(self)

    def __and__(self, other):
        return _ops.bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _ops.bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _ops.bitwise_xor(self, other)

    __rxor__ = __xor__

    def __lshift__(self, other):
        return _ops.bitwise_left_shift(self, other)

    def __rlshift__(self, other):
        return _ops.bitwise_left_shift(_ops.full_like(self, other) if not isinstance(
            other, Tensor) else other, self)

    def __rshift__(self, other):
        return _ops.bitwise_right_shift(self, other)

    def __rrshift__(self, other):
        return _ops.bitwise_right_shift(_ops.full_like(self, other) if not isinstance(
            other, Tensor) else other, self)

    def __ilshift__(self, other):
        return self.bitwise_left_shift_(other)

    def __irshift__(self, other):
        return self.bitwise_right_shift_(other)

    def __eq__(self, other):
        return _ops.eq(self, other)

    def __ne__(self, other):
        return _ops.ne(self, other)

    def __lt__(self, other):
        return _ops.lt(self, other)

    def __le__(self, other):
        return _ops.le(self, other)

    def __gt__(self, other):
        return _ops.gt(self, other)

    def __ge__(self, other):
        return _ops.ge(self, other)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ipow__(self, other):
        return self.pow_(other)

    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __iand__(self, other):
        return self.bitwise_and_(other)

    def __ior__(self, other):
        return self.bitwise_or_(other)

    def __ixor__(self, other):
        return self.bitwise_xor_(other)

    def where(self, condition, other):
        """``self`` where ``condition`` holds, else ``other`` (``ember.where(condition, self, other)``)."""
        return _ops.where(condition, self, other)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def __setitem__(self, index, value):
        _ops.setitem_(self, index, value)


class _NamedConstant:
    """A named constant of the ``ember`` module: printed ``ember.<name>``, pickled as
    that module attribute (so it unpickles to the same object)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"ember.{self.name}"

    def __reduce__(self):
        return self.name


class layout(_NamedConstant):
    """How a tensor's elements are laid out in memory (``ember.strided``, as ``torch.layout``)."""

    __slots__ = ()


strided = layout("strided")


class memory_format(_NamedConstant):
    """An order of a tensor's dimensions in memory (``torch.memory_format``).

    ``ember.contiguous_format`` (row-major), ``ember.channels_last`` (NHWC for
    4-D tensors), ``ember.channels_last_3d`` (NDHWC for 5-D) and
    ``ember.preserve_format`` (keep the input's) are the four values; pass
    them to ``Tensor.to``, ``contiguous`` and ``is_contiguous``. Ember's
    NumPy arrays take any strides, so a channels-last tensor really has NHWC
    strides (``stride()`` matches PyTorch's); ops see the same values either
    way, and the layout of their results follows NumPy.
    """

    __slots__ = ()


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
# Dimensions from the fastest-varying in memory to the slowest.
_DIM_ORDERS = {channels_last: (1, 3, 2, 0), channels_last_3d: (1, 4, 3, 2, 0)}


def _dim_order(fmt, op):
    """The memory order of ``fmt``, None for row-major (contiguous or preserve, or None)."""
    if fmt is None or fmt is contiguous_format or fmt is preserve_format:
        return None
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{op}: expected memory_format to be an ember.memory_format, got "
                        f"{type(fmt).__name__}")
    return _DIM_ORDERS[fmt]


def _check_rank(t, fmt):
    order = _DIM_ORDERS.get(fmt)
    if order is not None and t._array.ndim != len(order):
        raise RuntimeError(f"required rank {len(order)} tensor to use {fmt.name} format, got "
                           f"a {t._array.ndim}-D tensor")


def _dense_in_order(t, order):
    """True if ``t``'s strides are those of a gapless layout with ``order``'s dimensions
    from fastest to slowest (dimensions of size 1 may have any stride)."""
    shape, itemsize = t._array.shape, t._array.itemsize
    expected = 1
    for d in order:
        if shape[d] != 1:
            if t._array.strides[d] != expected * itemsize:
                return False
            expected *= shape[d]
    return True


def _strides_in_order(shape, order):
    """The strides, in elements, of a fresh gapless tensor with ``order``'s dimensions
    from fastest to slowest."""
    strides, step = [0] * len(shape), 1
    for d in order:
        strides[d] = step
        step *= max(shape[d], 1)
    return tuple(strides)


def _copy_in_order(t, order):
    """A copy of ``t`` (through the graph) laid out with ``order``'s dimensions from
    fastest to slowest: the dimensions in memory order copied row-major, permuted back."""
    memory_order = tuple(reversed(order))
    back = tuple(memory_order.index(d) for d in range(len(order)))
    return _ops.permute(_ops.clone(_ops.permute(t, memory_order)), back)


class _LegacyTensorType(type):
    """The type of ``ember.FloatTensor`` and the other legacy tensor types.

    Calling one makes a Tensor of its dtype (``FloatTensor([1, 2])`` from
    data, ``FloatTensor(2, 3)`` uninitialised of that shape, ``FloatTensor()``
    empty); ``isinstance(x, ember.FloatTensor)`` is True for float32 tensors
    on the CPU, and ``isinstance(x, ember.cuda.FloatTensor)`` for those on a
    GPU, as with PyTorch's. The tensors made are plain ``ember.Tensor``.
    """

    def __instancecheck__(cls, obj):
        return (isinstance(obj, Tensor) and obj._array.dtype == cls.dtype.np
                and obj.is_cuda == cls.is_cuda)

    def __call__(cls, *args, device=None):
        return _legacy_new(cls, args, device)

    def __repr__(cls):
        return f"<class '{cls.__module__}.{cls.__name__}'>"


def _legacy_new(cls, args, device):
    name = f"{cls.__module__}.{cls.__name__}"
    want = "cuda" if cls.is_cuda else "cpu"
    dev = as_device(want if device is None else device)
    if dev.type != want:
        raise RuntimeError(f"{name}: legacy constructor expects device type {want}, got {dev}")
    if cls.is_cuda:
        from ember.backend.device import cuda_available
        if not cuda_available():
            raise TypeError(f"type {name} not available: CUDA is not available")
    if len(args) == 1 and isinstance(args[0], Tensor):
        t = args[0]
        if t._array.dtype != cls.dtype.np or t.device.type != want:
            raise TypeError(f"{name}: expected a {want} tensor of dtype {cls.dtype}, got "
                            f"{t.dtype} on {t.device}")
        return _ops.view_as(t, t)  # shares the data, as PyTorch's legacy constructors do
    if len(args) == 1 and not isinstance(args[0], int):
        if isinstance(args[0], (numbers.Number, np.generic)):
            raise TypeError(f"{name}: data must be a sequence, got {type(args[0]).__name__}")
        return _ops.tensor(args[0], dtype=cls.dtype, device=dev)
    shape = _shape_arg(args, name) if args else (0,)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{name}: trying to create a tensor with negative dimension: "
                           f"{list(shape)}")
    return Tensor._wrap(array_module(dev).empty(shape, cls.dtype.np), False, None, 0)


def _legacy_type_named(name):
    """The legacy type ``"torch.FloatTensor"``, ``"ember.cuda.LongTensor"``... names."""
    for prefix in ("torch.", "ember."):
        if name.startswith(prefix):
            cls = _LEGACY_TYPES.get(name[len(prefix):])
            if cls is not None:
                return cls
    raise ValueError(f"type: invalid type: {name!r}")


def storage_root(a):
    """The array owning ``a``'s memory (the end of its chain of ``.base`` arrays)."""
    while isinstance(a.base, type(a)):
        a = a.base
    return a


def _address(a):
    return a.__array_interface__["data"][0] if type(a) is np.ndarray else a.data.ptr


_new = object.__new__
_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor",
               "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor"}


_LEGACY_TYPES = {}  # "FloatTensor" and "cuda.FloatTensor" -> the legacy types
for _d in _dt.ALL:
    for _cuda in (False, True):
        _LEGACY_TYPES[("cuda." if _cuda else "") + _TYPE_NAMES[_d.name]] = _LegacyTensorType(
            _TYPE_NAMES[_d.name], (),
            {"dtype": _d, "is_cuda": _cuda, "__module__": "ember.cuda" if _cuda else "ember",
             "__doc__": f"Legacy constructor and type check of {_d} tensors on the "
                        f"{'GPU' if _cuda else 'CPU'} (see ``ember.tensor._LegacyTensorType``)."})
del _d, _cuda
FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor = (
    _LEGACY_TYPES[n] for n in ("FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor"))
LongTensor, IntTensor, ShortTensor, CharTensor, ByteTensor, BoolTensor = (
    _LEGACY_TYPES[n] for n in ("LongTensor", "IntTensor", "ShortTensor", "CharTensor",
                               "ByteTensor", "BoolTensor"))


def _init(t, data, requires_grad, grad_fn, nr):
    t._array, t.requires_grad, t.grad_fn, t._output_nr = data, requires_grad, grad_fn, nr
    t.grad, t._version, t._base, t._view_fn, t._hooks, t._retains_grad = None, 0, None, None, None, False


def _host(a):
    return a if type(a) is np.ndarray else a.get()


def _rebuild(cls, arr, device, requires_grad, state):
    if device != "cpu":
        arr = array_module(as_device(device)).asarray(arr)
    t = _new(cls)
    _init(t, arr, requires_grad, None, 0)
    if state:
        t.__dict__.update(state)
    return t


def _python_values(a):
    """``a.tolist()`` with Python floats for bfloat16, whose NumPy scalars are not floats."""
    if a.dtype == _dt.bfloat16.np:
        a = a.astype(np.float32)
    return a.tolist()


def _grad_enabled():
    from ember.autograd.grad_mode import _State
    return _State.enabled


def _shape_arg(args, op):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    shape = []
    for s in args:
        try:
            shape.append(s.__index__())
        except AttributeError:
            raise TypeError(f"{op}: expected a shape of ints, got {args!r}") from None
    return tuple(shape)


_TO_KEYWORDS = {"dtype", "device", "non_blocking", "copy", "memory_format"}


def _parse_to(args, kwargs):
    """``to``'s overloads: (device, dtype, non_blocking, copy), (dtype, ...), (other, ...)."""
    unknown = set(kwargs) - _TO_KEYWORDS
    if unknown:
        raise TypeError(f"to: unexpected keyword argument(s) {sorted(unknown)}")
    dev, dtype, copy = kwargs.get("device"), kwargs.get("dtype"), kwargs.get("copy", False)
    flags = []  # positional non_blocking, then copy
    for a in args:
        if isinstance(a, bool):
            flags.append(a)
        elif isinstance(a, Tensor):
            dev, dtype = a.device, a.dtype
        elif isinstance(a, _LegacyTensorType):  # Module.type(ember.DoubleTensor)
            dtype = a.dtype
        elif isinstance(a, (_dt.dtype, type)) or (isinstance(a, str)
                                                   and not a.startswith(("cpu", "cuda"))):
            dtype = a
        elif a is not None:
            dev = a
    if len(flags) > 2:
        raise TypeError(f"to: expected at most two flags (non_blocking, copy), got {flags}")
    return dev, dtype, copy or (len(flags) == 2 and flags[1])


class PostAccumulateGradHook:
    """A leaf hook the engine calls with the tensor after storing its ``.grad``
    (kept in the leaf's hook list, apart from the gradient hooks by its type)."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, tensor):
        self.fn(tensor)


class _HookHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        """Unregister the hook (a no-op if already removed)."""
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)
