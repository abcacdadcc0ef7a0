// ExecutionPlan.
#include "runtime/plan.h"

#include "ir/printer.h"

namespace keraunos {

std::unique_ptr<ExecutionPlan> ExecutionPlan::build(const Trace& t) {
  auto plan = std::unique_ptr<ExecutionPlan>(new ExecutionPlan());
  SlotMap slots;
  slots.slot_of.assign(t.num_proxies(), -1);
  auto assign = [&](ProxyId p) {
    auto& s = slots.slot_of[static_cast<size_t>(p)];
    if (s >= 0) return s;
    s = static_cast<int32_t>(t.type(p).is_tensor ? plan->n_tensors_++ : plan->n_numbers_++);
    return s;
  };
  for (ProxyId in : t.inputs) {
    bool is_tensor = t.type(in).is_tensor;
    plan->inputs_.push_back({is_tensor, assign(in)});
    plan->tensor_only_ &= is_tensor;
  }
  for (size_t i = 0; i < t.inputs.size(); ++i) {
    const auto& ty = t.type(t.inputs[i]);
    if (!ty.is_tensor) continue;
    for (size_t d = 0; d < ty.tensor.shape.size(); ++d) {
      const Dim& dim = ty.tensor.shape[d];
      if (!dim.is_symbolic() || slots.slot_of[static_cast<size_t>(dim.sym)] >= 0) continue;
      plan->sizes_.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(d), assign(dim.sym)});
    }
  }
  for (const auto& b : t.bsyms)
    for (ProxyId o : b.outputs) assign(o);

  // Last use of every tensor slot; trace outputs live to the end.
  std::vector<int64_t> last_use(plan->n_tensors_, -1);
  std::vector<char> is_output(plan->n_tensors_, 0);
  for (size_t i = 0; i < t.bsyms.size(); ++i) {
    t.bsyms[i].for_each_input([&](ProxyId p) {
      if (t.type(p).is_tensor) last_use[static_cast<size_t>(slots[p])] = static_cast<int64_t>(i);
    });
    for (ProxyId o : t.bsyms[i].outputs)  // dead outputs go right after their producer
      if (t.type(o).is_tensor && last_use[static_cast<size_t>(slots[o])] < static_cast<int64_t>(i))
        last_use[static_cast<size_t>(slots[o])] = static_cast<int64_t>(i);
  }
  for (const auto& v : t.outputs) {
    KERAUNOS_CHECK(!v.is_tuple(), "ExecutionPlan: trace outputs must be flat (the front end flattens structures)");
    if (v.is_proxy()) {
      ProxyId p = v.as_proxy();
      if (t.type(p).is_tensor) {
        is_output[static_cast<size_t>(slots[p])] = 1;
        plan->outputs_.push_back({Output::Kind::Tensor, slots[p], {}});
      } else {
        plan->outputs_.push_back({Output::Kind::Number, slots[p], {}});
        plan->tensor_outputs_ = false;
      }
    } else {
      c10::IValue lit;
      if (v.is_int())
        lit = v.as_int();
      else if (v.is_float())
        lit = v.as_float();
      else if (v.is_bool())
        lit = v.as_bool();
      else if (v.is_str())
        lit = v.as_str();
      else
        KERAUNOS_CHECK(v.is_none(), "ExecutionPlan: unsupported literal output ", print_value(t, v));
      plan->outputs_.push_back({Output::Kind::Literal, -1, std::move(lit)});
      plan->tensor_outputs_ = false;
    }
  }

  for (size_t i = 0; i < t.bsyms.size(); ++i) {
    const BoundSymbol& b = t.bsyms[i];
    KERAUNOS_CHECK(b.sym->executor != nullptr, "ExecutionPlan: `", print_bsym(t, b, 0, 0),
                   "` was not claimed by an executor (run dispatch first)");
    Step s;
    s.kernel = b.sym->executor->make_kernel(b, t, slots);
    plan->steps_.push_back(std::move(s));
  }
  for (size_t slot = 0; slot < plan->n_tensors_; ++slot)
    if (!is_output[slot] && last_use[slot] >= 0)
      plan->steps_[static_cast<size_t>(last_use[slot])].release.push_back(static_cast<int32_t>(slot));
  return plan;
}

void ExecutionPlan::bind_inputs(ExecFrame& f, const std::vector<at::Tensor>* tensors, const std::vector<c10::IValue>* values) const {
  size_t n = tensors ? tensors->size() : values->size();
  KERAUNOS_CHECK(n == inputs_.size(), "expected ", inputs_.size(), " inputs, got ", n);
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const Input& in = inputs_[i];
    if (in.is_tensor) {
      f.tensors[static_cast<size_t>(in.slot)] = tensors ? (*tensors)[i] : (*values)[i].toTensor();
    } else {
      const c10::IValue& v = (*values)[i];
      f.numbers[static_cast<size_t>(in.slot)] = v.isInt()    ? c10::Scalar(v.toInt())
                                                : v.isBool() ? c10::Scalar(v.toBool())
                                                             : c10::Scalar(v.toDouble());
    }
  }
  for (const auto& s : sizes_) f.numbers[static_cast<size_t>(s.slot)] = f.tensors[static_cast<size_t>(inputs_[s.input].slot)].size(s.dim);
}

void ExecutionPlan::execute(ExecFrame& f) const {
  for (const Step& s : steps_) {
    s.kernel->run(f);
    for (int32_t slot : s.release) f.tensors[static_cast<size_t>(slot)].reset();
  }
}

std::vector<c10::IValue> ExecutionPlan::run(const std::vector<c10::IValue>& inputs) const {
  ExecFrame f;
  f.tensors.resize(n_tensors_);
  f.numbers.resize(n_numbers_);
  bind_inputs(f, nullptr, &inputs);
  execute(f);
  std::vector<c10::IValue> out;
  out.reserve(outputs_.size());
  for (const auto& o : outputs_) {
    switch (o.kind) {
      case Output::Kind::Tensor:
        out.emplace_back(f.tensors[static_cast<size_t>(o.slot)]);
        break;
      case Output::Kind::Number: {
        const c10::Scalar& s = f.numbers[static_cast<size_t>(o.slot)];
        if (s.isComplex())
          out.emplace_back(s.toComplexDouble());
        else
          out.emplace_back(s.isIntegral(false) ? c10::IValue(s.toLong())
                           : s.isBoolean()     ? c10::IValue(s.toBool())
                                               : c10::IValue(s.toDouble()));
        break;
      }
      case Output::Kind::Literal:
        out.push_back(o.literal);
        break;
    }
  }
  return out;
}

std::vector<at::Tensor> ExecutionPlan::run_tensors(const std::vector<at::Tensor>& inputs) const {
  KERAUNOS_CHECK(tensor_only_, "run_tensors: this plan takes numbers too; use run()");
  ExecFrame f;
  f.tensors.resize(n_tensors_);
  f.numbers.resize(n_numbers_);
  bind_inputs(f, &inputs, nullptr);
  execute(f);
  std::vector<at::Tensor> out;
  out.reserve(outputs_.size());
  for (const auto& o : outputs_) {
    KERAUNOS_CHECK(o.kind == Output::Kind::Tensor, "run_tensors: output is not a tensor; use run()");
    out.push_back(f.tensors[static_cast<size_t>(o.slot)]);
  }
  return out;
}

}  // namespace keraunos
