// ATen kernels for the elementwise prims, from the op table. Numbers are weak: they take the tensor
// operand's dtype.
#include "executors/torch/kernel.h"
#include "ops/prims/prims.h"

namespace keraunos::aten {
namespace {

using K = AtenKernel;

// Operand i as a tensor: a number takes the dtype of the first tensor operand from `first` on
// (prims' weak numbers); with no tensor operand (symbolic-size arithmetic) it becomes a 0-d tensor.
at::Tensor arg(const K& k, ExecFrame& f, size_t i, size_t first = 0) {
  if (k.is_tensor(i)) return k.T(f, i);
  for (size_t j = first; j < k.num_args(); ++j)
    if (k.is_tensor(j)) return k.TorScalar(f, i, k.T(f, j));
  return at::scalar_tensor(k.S(f, i));
}

// One kernel per row of the op table, by the shape its `kernel` column gives; Custom rows are
// written below.
#define KERAUNOS_KERNEL_Unary(name, aten) \
  KERAUNOS_ATEN_KERNEL(k_##name, a) { k.out(f, 0, at::aten(arg(k, f, a))); }
#define KERAUNOS_KERNEL_Binary(name, aten) \
  KERAUNOS_ATEN_KERNEL(k_##name, a, b) { k.out(f, 0, at::aten(arg(k, f, a), arg(k, f, b))); }
// With an ATen overload taking a Scalar second operand: no 0-d tensor for `tensor op number`.
#define KERAUNOS_KERNEL_BinaryS(name, aten)                                                                                \
  KERAUNOS_ATEN_KERNEL(k_##name, a, b) {                                                                                   \
    if (k.is_tensor(a) && !k.is_tensor(b)) return k.out(f, 0, at::aten(k.T(f, a), k.weak(f, b, k.T(f, a).scalar_type()))); \
    k.out(f, 0, at::aten(arg(k, f, a), arg(k, f, b)));                                                                     \
  }
#define KERAUNOS_KERNEL_Custom(name, aten)
#define KERAUNOS_KERNEL(name, arity, in, out, fuser, kernel, aten, ...) KERAUNOS_KERNEL_##kernel(name, aten)
KERAUNOS_ELEMENTWISE_PRIMS(KERAUNOS_KERNEL)
#undef KERAUNOS_KERNEL

// The torch-level ops built one-to-one on a prim (the table's `torch` column) take Python numbers as
// torch's binding passes them (wrapped 0-d tensors, or the Scalar overload: weak in promotion), not
// as the prims' numbers of the tensor's dtype.
#define KERAUNOS_TORCH_Unary(name, aten) \
  KERAUNOS_ATEN_KERNEL(t_##name, a) { k.out(f, 0, at::aten(k.T(f, a))); }
#define KERAUNOS_TORCH_Binary(name, aten) \
  KERAUNOS_ATEN_KERNEL(t_##name, a, b) { k.out(f, 0, at::aten(k.TW(f, a), k.TW(f, b))); }
#define KERAUNOS_TORCH_BinaryS(name, aten)                                                     \
  KERAUNOS_ATEN_KERNEL(t_##name, a, b) {                                                       \
    if (k.is_tensor(a) && !k.is_tensor(b)) return k.out(f, 0, at::aten(k.T(f, a), k.S(f, b))); \
    k.out(f, 0, at::aten(k.TW(f, a), k.TW(f, b)));                                             \
  }
#define KERAUNOS_TORCH_Custom(name, aten)
#define KERAUNOS_TORCH(name, arity, in, out, fuser, kernel, aten, ...) KERAUNOS_TORCH_##kernel(name, aten)
KERAUNOS_ELEMENTWISE_PRIMS(KERAUNOS_TORCH)
#undef KERAUNOS_TORCH

KERAUNOS_ATEN_KERNEL(k_real, a) {
  const at::Tensor x = arg(k, f, a);
  k.out(f, 0, x.is_complex() ? at::real(x) : x);
}

// Integer division truncates, as in C.
KERAUNOS_ATEN_KERNEL(k_div, a, b) {
  if (k.is_tensor(a) && !k.is_tensor(b) && at::isFloatingType(k.T(f, a).scalar_type())) {
    k.out(f, 0, at::div(k.T(f, a), k.weak(f, b, k.T(f, a).scalar_type())));
    return;
  }
  const at::Tensor x = arg(k, f, a);
  const at::Tensor y = arg(k, f, b);
  k.out(f, 0, at::isIntegralType(x.scalar_type(), true) ? at::div(x, y, "trunc") : at::div(x, y));
}

KERAUNOS_ATEN_KERNEL(k_lerp, a, b, c) { k.out(f, 0, at::lerp(arg(k, f, a), arg(k, f, b), arg(k, f, c))); }

KERAUNOS_ATEN_KERNEL(k_where, pred, a, b) {
  at::Tensor c = k.is_tensor(pred) ? k.T(f, pred) : at::scalar_tensor(k.S(f, pred).toBool(), at::kBool);
  k.out(f, 0, at::where(c, arg(k, f, a, /*first=*/a), arg(k, f, b, /*first=*/a)));
}

KERAUNOS_ATEN_KERNEL(k_convert_element_type, a, dtype) {
  at::ScalarType dt = k.Dt(dtype);
  if (!k.is_tensor(a)) {
    k.out_number(f, 0, k.S(f, a));
    return;
  }
  const at::Tensor& x = k.T(f, a);
  if (x.is_complex() && dt == at::kBool) {
    k.out(f, 0, at::ne(x, 0));  // nonzero, as torch converts complex to bool
    return;
  }
  k.out(f, 0, x.is_complex() && !at::isComplexType(dt) ? at::real(x).to(dt) : x.to(dt));
}

}  // namespace

void register_elementwise_kernels(OperatorExecutor& ex) {
  struct Entry {
    ops::PrimId id;
    KernelFn prim, torch;  // the torch-level op's kernel: a custom row's prim kernel serves it too
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
