// The per-call state of an execution plan: one slot per tensor value and per number value.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Scalar.h>

#include <vector>

namespace keraunos {

class ExecFrame {
 public:
  std::vector<at::Tensor> tensors;
  std::vector<c10::Scalar> numbers;
};

}  // namespace keraunos
