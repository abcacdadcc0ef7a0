// ATen kernels for the elementwise prims, from the op table. Numbers are weak: they take the tensor
// operand's dtype.
#include "executors/torch/kernel.h"
#include "ops/prims/prims.h"

namespace keraunos::aten {
namespace {

using K = AtenKernel;

// Operand i as a tensor: a number takes the dtype of the first tensor operand (prims' weak
// numbers); with no tensor operand (symbolic-size arithmetic) it becomes a 0-d tensor.
at::Tensor arg(const K& k, ExecFrame& f, size_t i, size_t first = 0) {
  if (k.is_tensor(i)) return k.T(f, i);
  for (size_t j = first; j < k.num_args(); ++j)
    if (k.is_tensor(j)) return k.TorScalar(f, i, k.T(f, j));
  return at::scalar_tensor(k.S(f, i));
}

// One kernel per row of the op table, by the shape its `kernel` column gives; Custom rows are
// written below.
#define KERAUNOS_KERNEL_Unary(name, aten)   \
  void k_##name(const K& k, ExecFrame& f) { \
    const at::Tensor a = arg(k, f, 0);      \
    k.out(f, 0, at::aten(a));               \
  }
#define KERAUNOS_KERNEL_Binary(name, aten)  \
  void k_##name(const K& k, ExecFrame& f) { \
    const at::Tensor a = arg(k, f, 0);      \
    const at::Tensor b = arg(k, f, 1);      \
    k.out(f, 0, at::aten(a, b));            \
  }
// With an ATen overload taking a Scalar second operand: no 0-d tensor for `tensor op number`.
#define KERAUNOS_KERNEL_BinaryS(name, aten)                    \
  void k_##name(const K& k, ExecFrame& f) {                    \
    if (k.is_tensor(0) && !k.is_tensor(1)) {                   \
      const at::Tensor& a = k.T(f, 0);                         \
      k.out(f, 0, at::aten(a, k.weak(f, 1, a.scalar_type()))); \
      return;                                                  \
    }                                                          \
    const at::Tensor a = arg(k, f, 0);                         \
    const at::Tensor b = arg(k, f, 1);                         \
    k.out(f, 0, at::aten(a, b));                               \
  }
#define KERAUNOS_KERNEL_Custom(name, aten)
#define KERAUNOS_KERNEL(name, arity, in, out, fuser, kernel, aten, ...) KERAUNOS_KERNEL_##kernel(name, aten)
KERAUNOS_ELEMENTWISE_PRIMS(KERAUNOS_KERNEL)
#undef KERAUNOS_KERNEL

// The torch-level ops built one-to-one on a prim (the table's `torch` column) take Python numbers as
// torch's binding passes them (wrapped 0-d tensors, or the Scalar overload: weak in promotion), not
// as the prims' numbers of the tensor's dtype.
#define KERAUNOS_TORCH_Unary(name, aten) \
  [[maybe_unused]] void t_##name(const K& k, ExecFrame& f) { k.out(f, 0, at::aten(k.T(f, 0))); }
#define KERAUNOS_TORCH_Binary(name, aten) \
  [[maybe_unused]] void t_##name(const K& k, ExecFrame& f) { k.out(f, 0, at::aten(k.TW(f, 0), k.TW(f, 1))); }
#define KERAUNOS_TORCH_BinaryS(name, aten)                                                     \
  [[maybe_unused]] void t_##name(const K& k, ExecFrame& f) {                                   \
    if (k.is_tensor(0) && !k.is_tensor(1)) return k.out(f, 0, at::aten(k.T(f, 0), k.S(f, 1))); \
    k.out(f, 0, at::aten(k.TW(f, 0), k.TW(f, 1)));                                             \
  }
#define KERAUNOS_TORCH_Custom(name, aten)
#define KERAUNOS_TORCH(name, arity, in, out, fuser, kernel, aten, ...) KERAUNOS_TORCH_##kernel(name, aten)
KERAUNOS_ELEMENTWISE_PRIMS(KERAUNOS_TORCH)
#undef KERAUNOS_TORCH

void k_real(const K& k, ExecFrame& f) {
  const at::Tensor a = arg(k, f, 0);
  k.out(f, 0, a.is_complex() ? at::real(a) : a);
}

// Integer division truncates, as in C.
void k_div(const K& k, ExecFrame& f) {
  if (k.is_tensor(0) && !k.is_tensor(1) && at::isFloatingType(k.T(f, 0).scalar_type())) {
    k.out(f, 0, at::div(k.T(f, 0), k.weak(f, 1, k.T(f, 0).scalar_type())));
    return;
  }
  const at::Tensor a = arg(k, f, 0);
  const at::Tensor b = arg(k, f, 1);
  k.out(f, 0, at::isIntegralType(a.scalar_type(), true) ? at::div(a, b, "trunc") : at::div(a, b));
}

void k_lerp(const K& k, ExecFrame& f) { k.out(f, 0, at::lerp(arg(k, f, 0), arg(k, f, 1), arg(k, f, 2))); }

void k_where(const K& k, ExecFrame& f) {
  at::Tensor c = k.is_tensor(0) ? k.T(f, 0) : at::scalar_tensor(k.S(f, 0).toBool(), at::kBool);
  k.out(f, 0, at::where(c, arg(k, f, 1, 1), arg(k, f, 2, 1)));
}

void k_convert_element_type(const K& k, ExecFrame& f) {
  at::ScalarType dt = k.Dt(1);
  if (!k.is_tensor(0)) {
    k.out_number(f, 0, k.S(f, 0));
    return;
  }
  const at::Tensor& a = k.T(f, 0);
  if (a.is_complex() && dt == at::kBool) {
    k.out(f, 0, at::ne(a, 0));  // nonzero, as torch converts complex to bool
    return;
  }
  k.out(f, 0, a.is_complex() && !at::isComplexType(dt) ? at::real(a).to(dt) : a.to(dt));
}

}  // namespace

void register_elementwise_kernels(OperatorExecutor& ex) {
  struct Entry {
    ops::PrimId id;
    AtenKernel::Fn prim, torch;  // the torch-level op's kernel: a custom row's prim kernel serves it too
  };
#define KERAUNOS_TORCH_FN_Unary(name) t_##name
#define KERAUNOS_TORCH_FN_Binary(name) t_##name
#define KERAUNOS_TORCH_FN_BinaryS(name) t_##name
#define KERAUNOS_TORCH_FN_Custom(name) k_##name
#define KERAUNOS_ENTRY(name, arity, in, out, fuser, kernel, ...) {ops::PrimId::name, k_##name, KERAUNOS_TORCH_FN_##kernel(name)},
  const Entry kernels[] = {KERAUNOS_ELEMENTWISE_PRIMS(KERAUNOS_ENTRY)};
#undef KERAUNOS_ENTRY
  for (const Entry& e : kernels) {
    claim(ex, ops::prim_symbol(e.id).id, e.prim);
    const auto& info = ops::elementwise_info(e.id);
    if (!info.torch.empty()) claim(ex, std::string(info.torch), e.torch);
  }
  claim(ex, ops::prim_symbol(ops::PrimId::convert_element_type).id, k_convert_element_type);
}

}  // namespace keraunos::aten
