// AtenKernel: one ATen call with its arguments bound at plan-build time (slots resolved, literals
// converted), so a call costs the ATen call and a few loads.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "executors/api/executor.h"
#include "runtime/aten_types.h"
#include "runtime/frame.h"

namespace keraunos::aten {

using keraunos::from_aten;
using keraunos::to_aten;

class AtenKernel final : public Kernel {
 public:
  using Fn = void (*)(const AtenKernel&, ExecFrame&);
  // Binds the op's arguments in the kernel's order: argument i is the op's argument order[i].
  AtenKernel(Fn fn, const std::vector<uint8_t>& order, const BoundSymbol& b, const Trace& t, const SlotMap& slots);
  void run(ExecFrame& f) const override { fn_(*this, f); }

  size_t num_args() const { return args_.size(); }
  bool is_tensor(size_t i) const { return args_[i].kind == Arg::Kind::Tensor; }
  bool is_none(size_t i) const { return args_[i].kind == Arg::Kind::None; }
  const at::Tensor& T(ExecFrame& f, size_t i) const { return f.tensors[static_cast<size_t>(args_[i].slot)]; }
  // An optional tensor: undefined when the argument is None.
  at::Tensor OptT(ExecFrame& f, size_t i) const { return is_none(i) ? at::Tensor() : T(f, i); }
  c10::Scalar S(ExecFrame& f, size_t i) const;
  int64_t Int(ExecFrame& f, size_t i) const { return S(f, i).toLong(); }
  double F(ExecFrame& f, size_t i) const { return S(f, i).toDouble(); }
  bool B(size_t i) const { return args_[i].lit.as_bool(); }
  const std::string& Str(size_t i) const { return args_[i].lit.as_str(); }
  at::ScalarType Dt(size_t i) const { return to_aten(args_[i].lit.as_dtype()); }
  c10::Device Dev(size_t i) const { return to_aten(args_[i].lit.as_device()); }
  const Value& lit(size_t i) const { return args_[i].lit; }
  // A tuple of ints (sizes may be symbolic: read from number slots each call).
  std::vector<int64_t> Ints(ExecFrame& f, size_t i) const;
  std::vector<at::Tensor> Ts(ExecFrame& f, size_t i) const;
  // A tensor operand, or a number operand as a 0-d tensor of `like`'s dtype (prims' weak numbers).
  at::Tensor TorScalar(ExecFrame& f, size_t i, const at::Tensor& like) const;
  // A number converted to a tensor's dtype category (the prim contract: numbers take the tensor's dtype).
  c10::Scalar weak(ExecFrame& f, size_t i, at::ScalarType like) const;

  // Torch-level arguments, as torch's Python binding passes them to ATen.
  // A tensor, or a Python number as a wrapped 0-d CPU tensor (weak in type promotion); literal
  // numbers are wrapped once, when the plan is built.
  at::Tensor TW(ExecFrame& f, size_t i) const;
  bool is_number(size_t i) const {
    return args_[i].kind == Arg::Kind::Number || (args_[i].kind == Arg::Kind::Literal && args_[i].lit.is_number_literal());
  }
  // None as nullopt (some ATen functions read an undefined tensor inside an optional as present).
  std::optional<at::Tensor> OptTensor(ExecFrame& f, size_t i) const { return is_none(i) ? std::nullopt : std::optional(T(f, i)); }
  std::optional<int64_t> OptInt(ExecFrame& f, size_t i) const { return is_none(i) ? std::nullopt : std::optional(Int(f, i)); }
  std::optional<double> OptF(ExecFrame& f, size_t i) const { return is_none(i) ? std::nullopt : std::optional(F(f, i)); }
  std::optional<c10::Scalar> OptS(ExecFrame& f, size_t i) const { return is_none(i) ? std::nullopt : std::optional(S(f, i)); }
  std::optional<at::ScalarType> OptDt(size_t i) const { return is_none(i) ? std::nullopt : std::optional(Dt(i)); }
  std::optional<std::vector<int64_t>> OptInts(ExecFrame& f, size_t i) const {
    return is_none(i) ? std::nullopt : std::optional(Ints(f, i));
  }
  bool is_tuple(size_t i) const { return args_[i].kind == Arg::Kind::Tuple; }

  // Writes output i; tensors are converted to the dtype the trace says when ATen's promotion differs.
  void out(ExecFrame& f, size_t i, at::Tensor v) const;
  void out_number(ExecFrame& f, size_t i, c10::Scalar v) const;
  size_t num_outputs() const { return outs_.size(); }
  at::ScalarType out_dtype(size_t i) const { return outs_[i].dtype; }
  // The dtype and device the trace gives output i (creation ops build their result with these).
  at::TensorOptions out_options(size_t i) const { return at::TensorOptions().dtype(outs_[i].dtype).device(outs_[i].device); }
  const std::string& op() const { return op_; }

 private:
  struct Arg {
    enum class Kind : uint8_t { Tensor, Number, Literal, None, Tuple } kind;
    int32_t slot = -1;
    Value lit;
    c10::Scalar scalar;
    at::Tensor wrapped;                 // a literal number as a wrapped 0-d tensor
    std::vector<int64_t> ints;          // literal entries of an int tuple
    std::vector<int32_t> number_slots;  // per entry: a number slot, or -1 for the literal in `ints`
    std::vector<int32_t> tensor_slots;  // a tuple of tensors
    bool all_literal = true;
  };
  struct Out {
    bool is_tensor;
    int32_t slot;
    at::ScalarType dtype;
    c10::Device device;
  };
  Fn fn_;
  std::vector<Arg> args_;
  std::vector<Out> outs_;
  std::string op_;
};

// A kernel and the names of the op's parameters it reads, in the order its accessors number them.
struct KernelFn {
  AtenKernel::Fn fn;
  std::string_view params;  // "a, dim, keepdim, dtype"
};

// KERAUNOS_ATEN_KERNEL(t_sum, a, dim, keepdim, dtype) { k.out(f, 0, at::sum(k.T(f, a), ...)); }
// defines the kernel t_sum, which reads the parameters a, dim, keepdim and dtype of the op it is
// claimed for. Inside the body each name is an enumerator: the argument's position for the
// accessors (k.T(f, a), k.B(keepdim)). claim() matches the names against the op's signature once, at
// registration (a name the op lacks is an error there), and a plan binds the op's arguments in the
// kernel's order, so a call pays nothing for the names.
#define KERAUNOS_ATEN_KERNEL(name, ...)                                                        \
  struct name##_params {                                                                       \
    enum Param : size_t { __VA_ARGS__ };                                                       \
  };                                                                                           \
  struct name##_body : name##_params {                                                         \
    static void run(const ::keraunos::aten::AtenKernel& k, ::keraunos::ExecFrame& f);          \
  };                                                                                           \
  [[maybe_unused]] constexpr ::keraunos::aten::KernelFn name{&name##_body::run, #__VA_ARGS__}; \
  void name##_body::run([[maybe_unused]] const ::keraunos::aten::AtenKernel& k, [[maybe_unused]] ::keraunos::ExecFrame& f)

// Registers `kernel` as the kernel of this executor's own symbol for `symbol_id` ("prims.add" ->
// "aten.add", "torch.softmax" -> "aten.torch.softmax") and claims `symbol_id`. Throws if the kernel
// names a parameter the op does not have.
void claim(OperatorExecutor& ex, const std::string& symbol_id, KernelFn kernel, Checker checker = {});

// Claims each (symbol id, kernel) pair without a checker.
struct KernelEntry {
  const char* id;
  KernelFn kernel;
};
void claim_all(OperatorExecutor& ex, std::initializer_list<KernelEntry> entries);

// Families of kernels, one file each.
void register_elementwise_kernels(OperatorExecutor& ex);
void register_shape_kernels(OperatorExecutor& ex);
void register_other_kernels(OperatorExecutor& ex);
void register_torch_kernels(OperatorExecutor& ex);
void register_torch_elementwise_kernels(OperatorExecutor& ex);
void register_torch_shape_kernels(OperatorExecutor& ex);

}  // namespace keraunos::aten
