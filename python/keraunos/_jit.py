"""keraunos.jit: the compiled callable. Flattens inputs (and a module's parameters and buffers),
computes the call context that decides the plan (default dtype, autocast, grad mode, module modes),
and calls the C++ compiled function, which looks the signature up in one step and traces on a miss."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.utils._pytree as pytree

from keraunos import _C
from keraunos._ops import table
from keraunos._proxies import _DTYPE_NAMES, NumberProxy, TensorProxy, UnsupportedOpError
from keraunos._tracer import Tracer


def _leaf_for_key(x: Any) -> bool | int | float | str | None:
    """What the C++ side sees of a non-tensor leaf: numbers and None as they are, anything else by
    a string that specializes the plan on its value."""
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, torch.dtype):
        return "dtype:" + str(x)
    if isinstance(x, torch.device):
        return "device:" + str(x)
    return f"obj:{type(x).__qualname__}:{x!r}"


_LEAF, _TUPLE, _TREE = 0, 1, 2  # how a plan's flat outputs become the result (see function_bindings.cpp)


class JitFunction(_C.Function):
    """A compiled function or module. Calling it runs C++ (`_C.Function.__call__`): a call with tensor
    arguments and no keywords, outside autograd, whose signature is cached, never enters Python;
    everything else comes here, to `_slow_call`."""

    _tokens: dict[tuple[Any, ...], tuple[Any, ...]]  # set by _layout_token on first use

    def __init__(
        self,
        fn: Callable[..., Any],
        executors: Sequence[str] | None = None,
        cache: str = "constant values",
        fusion: str | None = None,
        dynamic: bool = False,
        keep_traces: bool = True,
    ) -> None:
        if cache not in ("constant values", "symbolic values", "no caching"):
            raise ValueError(f"keraunos.jit: cache must be 'constant values', 'symbolic values' or 'no caching', got {cache!r}")
        if fusion not in (None, "dataflow", "consecutive"):
            raise ValueError(f"keraunos.jit: fusion must be None, 'dataflow' or 'consecutive', got {fusion!r}")
        if not callable(fn):
            raise TypeError(f"keraunos.jit: expected a function or an nn.Module, got {type(fn).__name__}")
        super().__init__(list(executors or []), cache, dynamic, fusion or "", keep_traces)
        self._executors = list(executors or [])
        # Training: forward and backward plans per signature (see _with_autograd), and why the last
        # call that needed gradients ran its backward through PyTorch instead (None: it did not).
        self._grad_plans: dict[tuple[Any, ...], tuple[Any, ...] | str] = {}  # str: why it cannot
        self.grad_fallback_reason: str | None = None
        self.backward_mode = "eager"  # keraunos.jit(..., backward="compiled") sets "compiled"
        self.fn = fn
        self.module = fn if isinstance(fn, torch.nn.Module) else None
        self._modes: str | None = None
        if self.module is not None:
            self._refresh_layout()
        functools.update_wrapper(self, fn if not isinstance(fn, torch.nn.Module) else fn.forward, updated=())

    def _refresh_layout(self) -> None:
        """(owner module, attribute, is_parameter) for every parameter and buffer, and the modules'
        modes; re-read when C++'s per-call check (_layout_current) finds a submodule added, removed
        or replaced, a parameter or buffer added or removed, or a train()/eval() switch. The tensors
        themselves are read from the owners' dicts on every call. Nothing in torch is patched."""
        assert self.module is not None
        self._slots: list[tuple[torch.nn.Module, str, bool, bool]] = []
        for _, m in self.module.named_modules(remove_duplicate=False):
            for pname, p in m._parameters.items():
                if p is not None:
                    self._slots.append((m, pname, True, False))
            for bname, b in m._buffers.items():
                if b is not None:
                    self._slots.append((m, bname, False, False))
        self._modules = list(self.module.modules())
        # The module layout is part of the plan's key: a different layout traces anew.
        self._modes = "".join("t" if m.training else "e" for m in self._modules) + f"#{len(self._slots)}:{id(self._layout_token())}"
        self._set_layout(
            self._modules, [(m._parameters if is_param else m._buffers, name) for m, name, is_param, _ in self._slots], self._modes
        )

    def _layout_token(self) -> tuple[Any, ...]:
        token = tuple((id(m), n) for m, n, _, _ in self._slots)
        cached: dict[tuple, tuple] | None = getattr(self, "_tokens", None)
        if cached is None:
            cached = self._tokens = {}
        return cached.setdefault(token, token)

    # -- the slow call path ----------------------------------------------------------------------
    def _slow_call(self, *args: Any, **kwargs: Any) -> Any:
        if self.module is not None and not self._layout_current():
            self._refresh_layout()
        if not kwargs and all(type(a) is torch.Tensor for a in args):
            leaves, spec = list(args), None
        else:
            leaves, spec = pytree.tree_flatten((args, kwargs))
        key_leaves = [x if isinstance(x, torch.Tensor) else _leaf_for_key(x) for x in leaves]
        if self.module is not None:
            for m, name, is_param, _ in self._slots:
                key_leaves.append(m._parameters[name] if is_param else m._buffers[name])
        if torch.is_grad_enabled() and any(isinstance(x, torch.Tensor) and x.requires_grad for x in key_leaves):
            return _with_autograd(self, key_leaves, leaves, spec)
        outs, out_spec = self._run_flat(key_leaves, (leaves, spec))
        return self._unflatten(outs, out_spec)

    @staticmethod
    def _unflatten(outs: list[Any], spec: pytree.TreeSpec) -> Any:
        if spec.is_leaf():
            return outs[0]
        return pytree.tree_unflatten(outs, spec)

    # -- tracing (called by C++ on a cache miss) ------------------------------------------------
    def _trace(
        self, tb: Any, in_values: Sequence[Any], pending: tuple[list[Any], pytree.TreeSpec | None]
    ) -> tuple[list[Any], pytree.TreeSpec, int]:
        """Traces the function for the call whose flattened arguments are `pending` (leaves, spec)."""
        leaves, spec = pending
        tracer = Tracer(tb, table())
        for dev in ("cpu", "cuda"):
            if (dev == "cpu" or torch.cuda.is_available()) and torch.is_autocast_enabled(dev):
                tracer.autocast = (dev, torch.get_autocast_dtype(dev))
        _C.set_default_dtype(_DTYPE_NAMES[torch.get_default_dtype()])
        # in_values: [*leaves, *state] as proxies (tensors) or literals.
        vals = list(in_values)
        user: list[Any] = []
        for x, v in zip(leaves, vals[: len(leaves)]):
            if isinstance(x, torch.Tensor):
                p = tracer.proxy(v)
                p.is_input = True
                user.append(p)
            elif isinstance(v, _C.Proxy):
                user.append(NumberProxy(tracer, v))  # cache="symbolic values": known when the plan runs
            else:
                user.append(x)  # the plan is specialized on this value
        state = []
        for v in vals[len(leaves) :]:
            p = tracer.proxy(v)
            p.is_input = True
            state.append(p)
        args, kwargs = (tuple(user), {}) if spec is None else pytree.tree_unflatten(user, spec)
        with tracer.active():
            if self.module is not None:
                out = self._call_module_with(state, args, kwargs)
            else:
                out = self.fn(*args, **kwargs)
        flat, out_spec = pytree.tree_flatten(out)
        outs = []
        for o in flat:
            if isinstance(o, (TensorProxy, NumberProxy)):
                outs.append(o.ref)
            elif o is None or isinstance(o, (bool, int, float, str)):
                outs.append(o)
            elif isinstance(o, torch.Tensor):
                raise UnsupportedOpError(
                    "keraunos: the function returned a tensor that is not computed from its inputs "
                    "(a captured constant); return values computed from the inputs"
                )
            else:
                raise UnsupportedOpError(f"keraunos: cannot return a {type(o).__name__} from a compiled function")
        if out_spec.is_leaf():
            form = _LEAF
        elif out_spec.type is tuple and all(c.is_leaf() for c in out_spec.children()):
            form = _TUPLE
        else:
            form = _TREE
        return outs, out_spec, form

    def _call_module_with(self, state: Sequence[Any], args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        saved: list[tuple[dict[str, Any], str, Any]] = []
        try:
            for (m, name, is_param, _), p in zip(self._slots, state):
                d = m._parameters if is_param else m._buffers
                saved.append((d, name, d[name]))
                d[name] = p
            assert self.module is not None
            return self.module(*args, **kwargs)
        finally:
            for d, name, old in reversed(saved):
                d[name] = old


def _grad_plans(jf: JitFunction, key_leaves: list[Any], leaves: list[Any], spec: pytree.TreeSpec | None) -> tuple[Any, ...]:
    """(forward plan, backward plan, number of outputs, output spec, which tensor inputs take a
    gradient) for this call's signature: the function traced, differentiated (ops/autograd.cpp) and
    split, each half through the execution pipeline. Cached per signature."""
    sig: list[Any] = [jf._modes, torch.get_default_dtype(), torch.is_autocast_enabled("cpu")]
    for x in key_leaves:
        if isinstance(x, torch.Tensor):
            sig.append((tuple(x.shape), x.dtype, x.device, x.requires_grad))
        else:
            sig.append((type(x), x))
    key = tuple(sig)
    plans = jf._grad_plans.get(key)
    if isinstance(plans, str):  # this signature cannot be differentiated: said once, not retraced per call
        raise UnsupportedOpError(plans)
    if plans is not None:
        return plans
    try:
        plans = _build_grad_plans(jf, key_leaves, leaves, spec)
    except Exception as e:
        jf._grad_plans[key] = str(e).splitlines()[0]
        raise
    jf._grad_plans[key] = plans
    return plans


def _build_grad_plans(jf: JitFunction, key_leaves: list[Any], leaves: list[Any], spec: pytree.TreeSpec | None) -> tuple[Any, ...]:
    tb = _C.TraceBuilder()
    in_values = [
        tb.add_input_tensor(list(x.shape), _DTYPE_NAMES[x.dtype], str(x.device), False) if isinstance(x, torch.Tensor) else x
        for x in leaves + key_leaves[len(leaves) :]
    ]
    outs, out_spec, _ = jf._trace(tb, in_values, (leaves, spec))
    if not all(isinstance(o, _C.Proxy) for o in outs):
        raise UnsupportedOpError("keraunos: a compiled backward needs every output to be a tensor")
    tb.set_outputs(outs)
    tensors = [x for x in key_leaves if isinstance(x, torch.Tensor)]
    wrt = [x.requires_grad and x.is_floating_point() for x in tensors]
    fwd, bwd, n_out, _ = _C.compile_grad_split(tb, wrt, jf._executors)
    return (fwd, bwd, n_out, out_spec, wrt)


def _with_autograd(jf: JitFunction, key_leaves: list[Any], leaves: list[Any], spec: pytree.TreeSpec | None) -> Any:
    tensors = [x for x in key_leaves if isinstance(x, torch.Tensor)]
    plans = None
    if jf.backward_mode == "compiled":
        try:
            plans = _grad_plans(jf, key_leaves, leaves, spec)
            jf.grad_fallback_reason = None
        except Exception as e:  # an op without a gradient rule, random ops, non-tensor outputs: PyTorch's autograd
            jf.grad_fallback_reason = str(e).splitlines()[0]
    if plans is not None:
        fwd, bwd, n_out, out_spec, wrt = plans
        outs = _Trained.apply(fwd, bwd, n_out, wrt, *tensors)
        return jf._unflatten(list(outs), out_spec)
    box: dict[str, Any] = {"pending": (leaves, spec)}
    tensor_outs = _Compiled.apply(jf, key_leaves, box, *tensors)
    outs = list(box["outs"])
    for pos, t in zip(box["tensor_positions"], tensor_outs):
        outs[pos] = t
    return jf._unflatten(outs, box["spec"])


class _Trained(torch.autograd.Function):
    """Forward: the forward plan, which also returns the values the backward reads (saved until the
    backward runs, then freed). Backward: the backward plan. Double backward is an error."""

    @staticmethod
    def forward(ctx: Any, fwd: Any, bwd: Any, n_out: int, wrt: list[bool], *tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        res = fwd.run(list(tensors))
        outs, saved = res[:n_out], res[n_out:]
        ctx.bwd, ctx.wrt = bwd, wrt
        ctx.floating = [i for i, o in enumerate(outs) if o.is_floating_point()]
        ctx.shapes = [(o.shape, o.dtype, o.device) for o in outs]
        ctx.saved_kinds = [isinstance(v, torch.Tensor) for v in saved]
        ctx.saved_numbers = [v for v in saved if not isinstance(v, torch.Tensor)]
        ctx.save_for_backward(*[v for v in saved if isinstance(v, torch.Tensor)])
        ctx.mark_non_differentiable(*[o for o in outs if not o.is_floating_point()])
        return tuple(outs)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, *grads: torch.Tensor | None) -> tuple[torch.Tensor | None, ...]:
        tensors, numbers = iter(ctx.saved_tensors), iter(ctx.saved_numbers)
        saved = [next(tensors) if is_tensor else next(numbers) for is_tensor in ctx.saved_kinds]
        g_out = []
        for i in ctx.floating:
            shape, dtype, device = ctx.shapes[i]
            g_out.append(grads[i].contiguous() if grads[i] is not None else torch.zeros(shape, dtype=dtype, device=device))
        got = iter(ctx.bwd.run(saved + g_out))
        return (None, None, None, None, *[next(got) if w else None for w in ctx.wrt])


class _Compiled(torch.autograd.Function):
    """Forward: the compiled plan. Backward: PyTorch autograd over an eager re-run of the function
    on the saved inputs. keraunos does not differentiate traces yet; this keeps training correct
    (gradients are eager PyTorch's) while the forward runs compiled."""

    @staticmethod
    def forward(ctx: Any, jf: JitFunction, key_leaves: list[Any], box: dict[str, Any], *tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        with torch.no_grad():
            outs, spec = jf._run_flat(key_leaves, box["pending"])
        box["spec"], box["outs"] = spec, outs
        box["tensor_positions"] = [i for i, o in enumerate(outs) if isinstance(o, torch.Tensor)]
        ctx.jf, ctx.pending = jf, box["pending"]
        ctx.save_for_backward(*tensors)
        return tuple(outs[i] for i in box["tensor_positions"])

    @staticmethod
    def backward(ctx: Any, *grads: torch.Tensor | None) -> tuple[torch.Tensor | None, ...]:
        jf = ctx.jf
        inputs = [t.detach().requires_grad_(t.requires_grad) for t in ctx.saved_tensors]
        leaves, spec = ctx.pending
        it = iter(inputs)
        user = [next(it) if isinstance(x, torch.Tensor) else x for x in leaves]
        state = list(it)
        args, kwargs = (tuple(user), {}) if spec is None else pytree.tree_unflatten(user, spec)
        with torch.enable_grad():
            out = jf._call_module_with(state, args, kwargs) if jf.module is not None else jf.fn(*args, **kwargs)
        flat = [o for o in pytree.tree_leaves(out) if isinstance(o, torch.Tensor)]
        pairs = [(o, g) for o, g in zip(flat, grads) if g is not None and o.requires_grad]
        needed = [i for i in inputs if i.requires_grad]
        got = (
            torch.autograd.grad([o for o, _ in pairs], needed, [g for _, g in pairs], allow_unused=True)
            if pairs and needed
            else [None] * len(needed)
        )
        it = iter(got)
        return (None, None, None, *[next(it) if i.requires_grad else None for i in inputs])
