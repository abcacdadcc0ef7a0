// AtenKernel: binding arguments at plan-build time.
#include "executors/torch/kernel.h"

#include <ATen/ScalarOps.h>

namespace keraunos::aten {

namespace {

c10::Scalar literal_scalar(const Value& v) {
  if (v.is_bool()) return c10::Scalar(v.as_bool());
  if (v.is_int()) return c10::Scalar(v.as_int());
  return c10::Scalar(v.as_float());
}

}  // namespace

AtenKernel::AtenKernel(Fn fn, const std::vector<uint8_t>& order, const BoundSymbol& b, const Trace& t, const SlotMap& slots)
    : fn_(fn), op_(b.sym->id) {
  for (uint8_t position : order) {
    const Value& v = b.args.at(position);
    Arg a;
    a.lit = v;
    if (v.is_proxy()) {
      a.kind = t.type(v.as_proxy()).is_tensor ? Arg::Kind::Tensor : Arg::Kind::Number;
      a.slot = slots[v.as_proxy()];
    } else if (v.is_none()) {
      a.kind = Arg::Kind::None;
    } else if (v.is_tuple()) {
      a.kind = Arg::Kind::Tuple;
      for (const Value& e : v.as_tuple()) {
        if (e.is_proxy() && t.type(e.as_proxy()).is_tensor) {
          a.tensor_slots.push_back(slots[e.as_proxy()]);
        } else if (e.is_proxy()) {
          a.number_slots.push_back(slots[e.as_proxy()]);
          a.ints.push_back(0);
          a.all_literal = false;
        } else if (e.is_int()) {
          a.number_slots.push_back(-1);
          a.ints.push_back(e.as_int());
        }
      }
    } else {
      a.kind = Arg::Kind::Literal;
      if (v.is_number_literal()) {
        a.scalar = literal_scalar(v);
        a.wrapped = at::native::wrapped_scalar_tensor(a.scalar);
      }
    }
    args_.push_back(std::move(a));
  }
  for (ProxyId o : b.outputs) {
    const auto& ty = t.type(o);
    outs_.push_back({ty.is_tensor, slots[o], ty.is_tensor ? to_aten(ty.tensor.dtype) : at::kDouble,
                     ty.is_tensor ? to_aten(ty.tensor.device) : c10::Device(c10::kCPU)});
  }
}

c10::Scalar AtenKernel::S(ExecFrame& f, size_t i) const {
  const Arg& a = args_[i];
  if (a.kind == Arg::Kind::Number) return f.numbers[static_cast<size_t>(a.slot)];
  return a.scalar;
}

std::vector<int64_t> AtenKernel::Ints(ExecFrame& f, size_t i) const {
  const Arg& a = args_[i];
  if (a.kind == Arg::Kind::Literal && a.lit.is_int()) return {a.lit.as_int()};
  if (a.kind == Arg::Kind::Number) return {f.numbers[static_cast<size_t>(a.slot)].toLong()};
  if (a.all_literal) return a.ints;
  std::vector<int64_t> out = a.ints;
  for (size_t k = 0; k < out.size(); ++k)
    if (a.number_slots[k] >= 0) out[k] = f.numbers[static_cast<size_t>(a.number_slots[k])].toLong();
  return out;
}

std::vector<at::Tensor> AtenKernel::Ts(ExecFrame& f, size_t i) const {
  std::vector<at::Tensor> out;
  for (int32_t s : args_[i].tensor_slots) out.push_back(f.tensors[static_cast<size_t>(s)]);
  return out;
}

c10::Scalar AtenKernel::weak(ExecFrame& f, size_t i, at::ScalarType like) const {
  c10::Scalar s = S(f, i);
  if (like == at::kBool) return c10::Scalar(s.toBool());
  if (at::isIntegralType(like, /*includeBool=*/false)) return c10::Scalar(s.toLong());
  if (at::isComplexType(like)) return s;
  return c10::Scalar(s.toDouble());
}

at::Tensor AtenKernel::TW(ExecFrame& f, size_t i) const {
  const Arg& a = args_[i];
  if (a.kind == Arg::Kind::Tensor) return f.tensors[static_cast<size_t>(a.slot)];
  if (a.wrapped.defined()) return a.wrapped;
  return at::native::wrapped_scalar_tensor(S(f, i));
}

at::Tensor AtenKernel::TorScalar(ExecFrame& f, size_t i, const at::Tensor& like) const {
  if (is_tensor(i)) return T(f, i);
  return at::scalar_tensor(weak(f, i, like.scalar_type()), like.options());
}

void AtenKernel::out(ExecFrame& f, size_t i, at::Tensor v) const {
  const Out& o = outs_[i];
  if (!o.is_tensor) {  // a number computed through a 0-d tensor
    f.numbers[static_cast<size_t>(o.slot)] = v.item();
    return;
  }
  if (v.scalar_type() != o.dtype) v = v.to(o.dtype);
  f.tensors[static_cast<size_t>(o.slot)] = std::move(v);
}

void AtenKernel::out_number(ExecFrame& f, size_t i, c10::Scalar v) const { f.numbers[static_cast<size_t>(outs_[i].slot)] = v; }

void claim(OperatorExecutor& ex, const std::string& symbol_id, KernelFn kernel, Checker checker) {
  const Symbol& like = global_symbols().get(symbol_id);
  std::vector<uint8_t> order;  // the kernel's names -> the op's parameter positions, once
  for (std::string_view rest = kernel.params; !rest.empty();) {
    size_t comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!name.empty()) order.push_back(static_cast<uint8_t>(param_index(like, name)));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  std::string name = symbol_id.rfind("prims.", 0) == 0 ? symbol_id.substr(6) : symbol_id;
  const Symbol* op = ex.register_operator(
      name, like, [fn = kernel.fn, order](const BoundSymbol& b, const Trace& t, const SlotMap& s) -> std::unique_ptr<Kernel> {
        return std::make_unique<AtenKernel>(fn, order, b, t, s);
      });
  ex.register_implementation(symbol_id, op, std::move(checker));
}

void claim_all(OperatorExecutor& ex, std::initializer_list<KernelEntry> entries) {
  for (const auto& e : entries) claim(ex, e.id, e.kernel);
}

}  // namespace keraunos::aten
