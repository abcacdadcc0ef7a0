"""Helpers the front-end tests share: comparing keraunos' outputs with eager PyTorch's, and the
devices tests run on (CUDA tests skip, saying so, where no GPU is present)."""

import pytest
import torch
import torch.utils._pytree as pytree

CUDA = torch.cuda.is_available()
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not CUDA, reason="needs a CUDA device"))]


def to_device(tree, device):
    """Every tensor in a nested structure moved to `device` (requires_grad kept)."""

    def move(x):
        if not isinstance(x, torch.Tensor) or x.device.type == device:
            return x
        return x.detach().to(device).requires_grad_(x.requires_grad)

    return pytree.tree_map(move, tree)


# (rtol, atol) per dtype; integer and bool results must be exact.
TOL = {
    torch.float32: (1e-5, 1e-5),
    torch.float64: (1e-7, 1e-7),
    torch.float16: (2e-3, 2e-3),
    torch.bfloat16: (2e-2, 2e-2),
}


def assert_same(got, want, tol=None):
    """Same structure, and per tensor: an ordinary torch.Tensor, same dtype, shape, device and values."""
    got_leaves, got_spec = pytree.tree_flatten(got)
    want_leaves, want_spec = pytree.tree_flatten(want)
    assert got_spec == want_spec, f"output structure differs:\n got  {got_spec}\n want {want_spec}"
    for i, (g, w) in enumerate(zip(got_leaves, want_leaves)):
        if isinstance(w, torch.Tensor):
            assert type(g) is torch.Tensor, f"output {i}: {type(g)} is not a torch.Tensor"
            assert g.dtype == w.dtype, f"output {i}: dtype {g.dtype}, eager gives {w.dtype}"
            assert g.shape == w.shape, f"output {i}: shape {tuple(g.shape)}, eager gives {tuple(w.shape)}"
            assert g.device == w.device
            rtol, atol = tol or TOL.get(w.dtype, (0, 0))
            torch.testing.assert_close(g.detach(), w.detach(), rtol=rtol, atol=atol, equal_nan=True, msg=lambda m, i=i: f"output {i}: {m}")
        else:
            assert g == w, f"output {i}: {g!r}, eager gives {w!r}"


def call(jf, *args, **kwargs):
    """jf(*args, **kwargs), re-raising an error without its traceback, which keeps failure reports
    short (tracing frames hold many proxies)."""
    try:
        return jf(*args, **kwargs)
    except Exception as e:
        e.__traceback__ = None
        e.__context__ = e.__cause__ = None
        raise e from None


def R(*shape, dtype=torch.float32):
    return torch.randn(*shape).to(dtype)
