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

// A joint trace cut in two. `forward`: the forward's inputs to its outputs followed by the values
// the backward reads (`saved`: forward inputs and intermediates, each once, in order of first use).
// `backward`: the saved values, then the output gradients, to the input gradients.
struct SplitTrace {
  Trace forward, backward;
  size_t n_outputs = 0;  // the forward's own outputs (before the saved values)
  size_t n_saved = 0;
};
// `n_inputs`, `n_outputs`: the original forward's counts (joint_trace's first inputs and outputs).
SplitTrace split_joint(const Trace& joint, size_t n_inputs, size_t n_outputs);

}  // namespace keraunos::ops
