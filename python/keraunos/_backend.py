"""torch.compile(model, backend="keraunos"): Dynamo hands over FX graphs; keraunos traces each
graph module (its code calls torch functions, Tensor methods and operators, which the tracer
records) and compiles it. Graph breaks are Dynamo's business, as with any backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from keraunos._jit import JitFunction


def keraunos_backend(gm: torch.fx.GraphModule, example_inputs: list[Any], **options: Any) -> Callable[..., Any]:
    jf = JitFunction(
        gm.forward,
        executors=options.get("executors"),
        cache=options.get("cache", "constant values"),
        fusion=options.get("fusion"),
        dynamic=options.get("dynamic", False),
    )

    def run(*args: Any) -> Any:
        return jf(*args)

    run._keraunos = jf  # type: ignore[attr-defined]  # keraunos.last_traces(run._keraunos) for inspection
    return run
