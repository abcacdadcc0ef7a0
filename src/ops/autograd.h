// Reverse-mode differentiation of a trace, first part (issue #13): one joint trace holding the
// forward, flattened to prims, and the backward recorded from each prim's gradient rule (GradFn,
// beside the prim's definition in ops/prims/). Inputs: the forward's, then one gradient per
// floating tensor output. Outputs: the forward's, then the gradient of each input asked for (zeros
// where the outputs do not depend on it). Backward ops carry kBsymBackward. Splitting it into a
// forward and a backward trace, rematerialization and the torch.autograd integration come next.
#pragma once

#include <vector>

#include "ir/trace.h"

namespace keraunos::ops {

// `wrt[i]`: whether the gradient of input i is an output. Throws naming the prim when one on the
// path from an input asked for to an output has no gradient rule.
Trace joint_trace(const Trace& forward, const std::vector<bool>& wrt);

}  // namespace keraunos::ops
