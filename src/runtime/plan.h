// ExecutionPlan: a flat list of pre-bound kernel calls over tensor and number slots, each slot
// released after its last use.
#pragma once

#include <ATen/core/ivalue.h>

#include <memory>
#include <vector>

#include "executors/api/executor.h"
#include "ir/trace.h"
#include "runtime/frame.h"

namespace keraunos {

class ExecutionPlan {
 public:
  // Builds kernels for every bound symbol of an executable trace (each symbol owned by an executor).
  static std::unique_ptr<ExecutionPlan> build(const Trace& t);

  // Inputs in the trace's input order (tensors, or numbers as ints/doubles/bools); outputs likewise.
  std::vector<c10::IValue> run(const std::vector<c10::IValue>& inputs) const;
  // The same for functions of tensors only.
  std::vector<at::Tensor> run_tensors(const std::vector<at::Tensor>& inputs) const;

  size_t num_calls() const { return steps_.size(); }
  // Whether run_tensors() applies: every input and every output is a tensor.
  bool tensors_only() const { return tensor_only_ && tensor_outputs_; }

 private:
  struct Step {
    std::unique_ptr<Kernel> kernel;
    std::vector<int32_t> release;  // tensor slots whose last use is this step
  };
  struct Input {
    bool is_tensor;
    int32_t slot;  // -1 when the trace never reads it
  };
  struct SizeBinding {
    uint32_t input;
    uint32_t dim;
    int32_t slot;
  };
  struct Output {
    enum class Kind : uint8_t { Tensor, Number, Literal } kind;
    int32_t slot;
    c10::IValue literal;
  };

  void bind_inputs(ExecFrame& f, const std::vector<at::Tensor>* tensors, const std::vector<c10::IValue>* values) const;
  void execute(ExecFrame& f) const;

  std::vector<Step> steps_;
  std::vector<Input> inputs_;
  std::vector<SizeBinding> sizes_;
  std::vector<Output> outputs_;
  size_t n_tensors_ = 0, n_numbers_ = 0;
  bool tensor_only_ = true;
  bool tensor_outputs_ = true;
};

}  // namespace keraunos
