"""The user-facing functions: jit, explain and the inspection helpers."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
import torch.utils._pytree as pytree

from keraunos import _C
from keraunos._jit import JitFunction
from keraunos._ops import table
from keraunos._proxies import _DTYPE_NAMES
from keraunos._tracer import Tracer


def jit(
    fn_or_module: Callable[..., Any],
    executors: Sequence[str] | None = None,
    cache: str = "constant values",
    fusion: str | None = None,
    dynamic: bool = False,
    backward: str = "eager",
    **options: Any,
) -> JitFunction:
    """Compiles a function or an nn.Module; returns a callable with the same signature.

    executors: names in priority order (keraunos.executors() lists them); None: the defaults.
    cache: "constant values" (numbers specialize the plan), "symbolic values" (numbers by type) or
        "no caching".
    fusion: None (each fusion executor's own), "dataflow" or "consecutive" partitioning.
    dynamic: sizes by symbolic class in the cache key, so a new batch size reuses the plan.
    backward: how a call that needs gradients runs its backward. "eager" (the default for now):
        PyTorch's autograd over an eager re-run of the function. "compiled": keraunos
        differentiates the trace and runs compiled forward and backward plans (docs/autograd.md);
        correct, but on the CPU not yet faster than "eager" for a GPT step.
    """
    if backward not in ("eager", "compiled"):
        raise ValueError(f"keraunos.jit: backward must be 'eager' or 'compiled', got {backward!r}")
    unknown = set(options) - {"keep_traces"}
    if unknown:
        raise TypeError(f"keraunos.jit: unknown options {sorted(unknown)}")
    if executors is not None:
        if isinstance(executors, str) or not all(isinstance(e, str) for e in executors):
            raise TypeError(f"keraunos.jit: executors must be a list of executor names, got {executors!r}")
        known = _C.executors()
        bad = [e for e in executors if e not in known]
        if bad:
            raise ValueError(f"keraunos.jit: unknown executor(s) {bad} (registered: {known})")
    jf = JitFunction(
        fn_or_module, executors=executors, cache=cache, fusion=fusion, dynamic=dynamic, keep_traces=options.get("keep_traces", True)
    )
    jf.backward_mode = backward
    return jf


def executors() -> list:
    """The registered executors' names (the defaults and the always-executors among them)."""
    return list(_C.executors())


def _jf(f: object) -> JitFunction:
    if not isinstance(f, JitFunction):
        raise TypeError("expected a function returned by keraunos.jit")
    return f


@dataclasses.dataclass
class Traces:
    """The trace after each pass for the last call's signature; printing shows the last one."""

    items: list

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int | slice) -> Any:
        return self.items[i]

    def names(self) -> list[str]:
        return [n for n, _ in self.items]

    def __str__(self) -> str:
        return self.items[-1][1] if self.items else ""


def last_traces(f: object) -> Traces:
    """[(pass name, trace text), ...]: "initial", then the trace after each pass."""
    return Traces(list(_jf(f)._last_traces()))


@dataclasses.dataclass
class Placement:
    rows: list  # (op, executor, fused, [(executor, reason)], text)
    table: str
    summary: str
    graph: tuple | None = None  # (inputs, nodes, outputs) of the execution trace (see _graph in C++)

    def counts(self) -> dict[str, int]:
        c: dict[str, int] = {}
        for _op, ex, *_ in self.rows:
            if ex != "decomposed":
                c[ex] = c.get(ex, 0) + 1
        return c

    def __str__(self) -> str:
        return self.table

    # -- a picture of the compiled program -------------------------------------------------------
    def to_dot(self) -> str:
        """The execution trace as a Graphviz graph: inputs, fused regions (with their ops) and
        operator calls coloured by executor, each edge labelled with its tensor's type, and at each
        operator call outside a region the reason the fusion executor gave (a fusion boundary)."""
        if self.graph is None:
            raise RuntimeError("keraunos: no execution trace to draw (the function ran with keep_traces=False)")
        inputs, nodes, outputs = self.graph
        declined: dict[str, list[str]] = {}  # op id -> the fusion executors' reasons, in call order
        for op, executor, fused, reasons, _text in self.rows:
            if not fused and executor not in ("decomposed",):
                why = "; ".join(f"{ex}: {r}" for ex, r in reasons if "fuse" in ex)
                declined.setdefault(op, []).append(why)
        lines = [
            "digraph keraunos {",
            "  rankdir=TB;",
            '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
            '  edge [fontname="Helvetica", fontsize=8, color="#555555", fontcolor="#333333"];',
        ]
        producer: dict[str, str] = {}
        for i, (name, ty) in enumerate(inputs):
            producer[name] = f"in{i}"
            lines.append(f'  in{i} [shape=ellipse, fillcolor="#eeeeee", label="{_esc(name)}\\n{_esc(ty)}"];')
        colors: dict[str, str] = {}
        for i, (op, executor, ins, outs, members) in enumerate(nodes):
            color = colors.setdefault(executor, _PALETTE[len(colors) % len(_PALETTE)])
            if members:
                shown = ", ".join(m.rsplit(".", 1)[-1] for m in members[:8]) + (", ..." if len(members) > 8 else "")
                label = f"{op}\\n{len(members)} op{'s' if len(members) != 1 else ''}: {_esc(shown)}"
                extra = ', penwidth=2, color="#1b7837"'
            else:
                label = f"{op}\\n[{executor or '?'}]"
                source = op.split(".", 1)[1] if "." in op else op  # aten.torch.mul -> torch.mul
                reasons = declined.get(source) or declined.get(op)
                why = reasons.pop(0) if reasons else ""
                extra = f', tooltip="{_esc(why)}"' if why else ""
                if why:
                    label += f"\\n{_esc(_short(why))}"
            lines.append(f'  n{i} [fillcolor="{color}", label="{label}"{extra}];')
            for name, ty in ins:
                if name in producer:
                    lines.append(f'  {producer[name]} -> n{i} [label="{_esc(ty)}"];')
            for name, _ty in outs:
                producer[name] = f"n{i}"
        lines.append('  out [shape=ellipse, fillcolor="#eeeeee", label="return"];')
        for name, ty in outputs:
            if name in producer:
                lines.append(f'  {producer[name]} -> out [label="{_esc(ty)}"];')
        lines.append("}")
        return "\n".join(lines) + "\n"

    def render(self, path: str) -> str:
        """Draws the execution trace to `path` (.svg, .png or .pdf) with Graphviz's `dot`; returns the path."""
        fmt = os.path.splitext(path)[1].lstrip(".").lower() or "svg"
        if fmt not in ("svg", "png", "pdf"):
            raise ValueError(f"keraunos: render writes .svg, .png or .pdf files, got {path!r}")
        with open(path, "wb") as fh:
            fh.write(_run_dot(self.to_dot(), fmt))
        return path

    def _repr_svg_(self) -> str | None:
        """Inline in a notebook (Jupyter asks for SVG)."""
        if shutil.which("dot") is None:
            return None
        return _run_dot(self.to_dot(), "svg").decode()


_PALETTE = ["#b3e2cd", "#fdcdac", "#cbd5e8", "#f4cae4", "#e6f5c9", "#fff2ae", "#f1e2cc"]


def _esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def _short(s: str, n: int = 60) -> str:
    return s if len(s) <= n else s[: n - 3] + "..."


def _run_dot(dot: str, fmt: str) -> bytes:
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(
            "keraunos: drawing a trace needs Graphviz's `dot` (Debian: apt-get install graphviz); "
            "Placement.to_dot() gives the graph text without it"
        )
    return subprocess.run([exe, f"-T{fmt}"], input=dot.encode(), capture_output=True, check=True).stdout


def placement(f: object) -> Placement | None:
    """The placement report of the last call's signature: op -> executor, and the others' reasons.
    `.render("trace.svg")` draws the execution trace (see Placement.to_dot)."""
    jf = _jf(f)
    p = jf._placement()
    return None if p is None else Placement(list(p[0]), p[1], p[2], jf._graph())


def cache_info(f: object) -> dict:
    """{hits, misses, plans, trace_ms, passes_ms, plan_ms, pass_ms: {pass: ms}}"""
    return dict(_jf(f)._cache_info())


def host_pool_info() -> dict:
    """The pool that large fused-kernel outputs come from: {hits, misses, cached_bytes, live_bytes, limit_bytes}.

    A freed output's buffer goes back to the pool and serves the next request of the same (2 MiB-rounded)
    size without new page faults; new buffers are mapped with transparent huge pages requested.
    """
    return dict(_C.host_pool_stats())


def set_host_pool_limit(mb: int) -> None:
    """How many MiB of freed buffers the host pool may keep (default 2048, or $KERAUNOS_HOST_POOL_MB; 0: none)."""
    if mb < 0:
        raise ValueError(f"keraunos.set_host_pool_limit: expected a size in MiB >= 0, got {mb}")
    _C.set_host_pool_limit(int(mb) << 20)


def empty_cache() -> None:
    """Returns every buffer the host pool holds to the operating system."""
    _C.release_host_pool()


@dataclasses.dataclass
class Explanation:
    unsupported: list  # [(torch function, "file:line: source")]
    ops: int  # torch-level ops recorded

    def __str__(self) -> str:
        if not self.unsupported:
            return f"keraunos supports every op of this program ({self.ops} ops)"
        lines = [f"{len(self.unsupported)} unsupported op call(s):"]
        lines += [f"  {name}  at {where}" for name, where in self.unsupported]
        return "\n".join(lines)


def explain(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Explanation:
    """Traces fn(*args, **kwargs) without raising on unsupported ops; lists each with its location."""
    tb = _C.TraceBuilder()
    tracer = Tracer(tb, table(), explain=True)
    _C.set_default_dtype(_DTYPE_NAMES[torch.get_default_dtype()])

    def to_proxy(x: Any) -> Any:
        if isinstance(x, torch.Tensor):
            p = tracer.proxy(tb.add_input_tensor(list(x.shape), _DTYPE_NAMES[x.dtype], str(x.device), x.requires_grad))
            p.is_input = True
            return p
        return x

    args, kwargs = pytree.tree_map(to_proxy, (args, kwargs))
    with tracer.active():
        if isinstance(fn, torch.nn.Module):
            jf = JitFunction(fn)
            state = [to_proxy(m._parameters[n] if is_p else m._buffers[n]) for m, n, is_p, _ in jf._slots]
            jf._call_module_with(state, args, kwargs)
        else:
            fn(*args, **kwargs)
    return Explanation(tracer.unsupported, tb.num_bsyms())
