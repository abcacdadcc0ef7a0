"""The op conformance table: every op once, with a PyTorch reference and sample inputs."""

from . import creation, elementwise, indexing, linalg, nn, prims_elementwise, prims_other, prims_reduction, prims_shape, reduction, shape
from .core import ALL_DTYPES, OpInfo, Sample, flatten_outputs, make_tensor, ops_from  # noqa: F401

ALL_OPS = ops_from(
    elementwise, prims_elementwise, shape, prims_shape, indexing, reduction, prims_reduction, creation, linalg, nn, prims_other
)
OPS_BY_ID = {op.id: op for op in ALL_OPS}
