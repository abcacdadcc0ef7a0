"""The op conformance table: every op once, with a PyTorch reference and sample inputs."""

from . import elementwise
from .core import ALL_DTYPES, OpInfo, Sample, flatten_outputs, make_tensor, ops_from  # noqa: F401

ALL_OPS = ops_from(elementwise)
OPS_BY_ID = {op.id: op for op in ALL_OPS}
