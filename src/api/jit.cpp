// The public C++ API: recording through a thread-local recorder, and jit().
#include "keraunos/keraunos.h"

#include "executors/api/registry.h"
#include "executors/builtin.h"
#include "ir/printer.h"
#include "runtime/aten_types.h"
#include "runtime/compiled_function.h"

namespace keraunos {
namespace {

thread_local Recorder* g_recorder = nullptr;

Recorder& current() {
  KERAUNOS_CHECK(g_recorder != nullptr, "keraunos: ops can only be called while keraunos::jit is tracing a program");
  return *g_recorder;
}

Value to_value(const Arg& a) {
  return std::visit(
      [](const auto& x) -> Value {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, None>)
          return Value::none();
        else if constexpr (std::is_same_v<T, Tensor>)
          return Value::proxy(x.id());
        else if constexpr (std::is_same_v<T, int64_t>)
          return Value::integer(x);
        else if constexpr (std::is_same_v<T, double>)
          return Value::floating(x);
        else if constexpr (std::is_same_v<T, bool>)
          return Value::boolean(x);
        else if constexpr (std::is_same_v<T, std::string>)
          return Value::string(x);
        else if constexpr (std::is_same_v<T, std::vector<int64_t>>)
          return Value::ints(x);
        else if constexpr (std::is_same_v<T, at::ScalarType>)
          return Value::dtype(from_aten(x));
        else {
          std::vector<Value> items;
          for (const auto& t : x) items.push_back(Value::proxy(t.id()));
          return Value::tuple(std::move(items));
        }
      },
      a);
}

Arg opt(const std::optional<Tensor>& t) { return t ? Arg(*t) : Arg(None{}); }

}  // namespace

std::vector<int64_t> Tensor::sizes() const {
  std::vector<int64_t> out;
  for (const auto& d : current().trace().type(id_).tensor.shape) out.push_back(d.is_symbolic() ? -1 : d.size);
  return out;
}
int64_t Tensor::dim() const { return current().trace().type(id_).tensor.rank(); }
std::string Tensor::dtype() const { return std::string(torch_name(current().trace().type(id_).tensor.dtype)); }
std::string Tensor::str() const { return print_type(current().trace(), current().trace().type(id_)); }

std::vector<Tensor> call(std::string_view op, const std::vector<Arg>& args, const Kwargs& kwargs) {
  std::vector<Value> a;
  for (const auto& x : args) a.push_back(to_value(x));
  std::vector<std::pair<std::string, Value>> kw;
  for (const auto& [k, v] : kwargs) kw.emplace_back(k, to_value(v));
  auto outs = current().call(op, std::move(a), std::move(kw));
  std::vector<Tensor> res;
  for (const auto& o : outs) res.emplace_back(o.as_proxy());
  return res;
}

Tensor call1(std::string_view op, const std::vector<Arg>& args, const Kwargs& kwargs) {
  auto outs = call(op, args, kwargs);
  KERAUNOS_CHECK(outs.size() == 1, op, " returns ", outs.size(), " values; use keraunos::call");
  return outs[0];
}

namespace ops {
Tensor add(const Tensor& a, const Arg& b) { return call1("torch.add", {a, b}); }
Tensor sub(const Tensor& a, const Arg& b) { return call1("torch.sub", {a, b}); }
Tensor mul(const Tensor& a, const Arg& b) { return call1("torch.mul", {a, b}); }
Tensor div(const Tensor& a, const Arg& b) { return call1("torch.div", {a, b}); }
Tensor exp(const Tensor& a) { return call1("torch.exp", {a}); }
Tensor tanh(const Tensor& a) { return call1("torch.tanh", {a}); }
Tensor relu(const Tensor& a) { return call1("torch.relu", {a}); }
Tensor gelu(const Tensor& a, const std::string& approximate) {
  return call1("torch.nn.functional.gelu", {a}, {{"approximate", approximate}});
}
Tensor silu(const Tensor& a) { return call1("torch.nn.functional.silu", {a}); }
Tensor softmax(const Tensor& a, int64_t dim) { return call1("torch.softmax", {a, dim}); }
Tensor matmul(const Tensor& a, const Tensor& b) { return call1("torch.matmul", {a, b}); }
Tensor linear(const Tensor& x, const Tensor& w, const std::optional<Tensor>& b) {
  return call1("torch.nn.functional.linear", {x, w, opt(b)});
}
Tensor layer_norm(const Tensor& x, const std::vector<int64_t>& shape, const std::optional<Tensor>& w, const std::optional<Tensor>& b,
                  double eps) {
  return call1("torch.nn.functional.layer_norm", {x, shape, opt(w), opt(b), eps});
}
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, bool is_causal) {
  return call1("torch.nn.functional.scaled_dot_product_attention", {q, k, v}, {{"is_causal", is_causal}});
}
Tensor reshape(const Tensor& a, const std::vector<int64_t>& shape) { return call1("torch.reshape", {a, shape}); }
Tensor transpose(const Tensor& a, int64_t d0, int64_t d1) { return call1("torch.transpose", {a, d0, d1}); }
Tensor sum(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim) { return call1("torch.sum", {a, dims, keepdim}); }
}  // namespace ops

Tensor operator+(const Tensor& a, const Tensor& b) { return ops::add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return ops::sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return ops::mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return ops::div(a, b); }
Tensor operator*(const Tensor& a, double b) { return ops::mul(a, b); }

void init() { register_builtin_executors(); }

Function jit(ProgramFn fn, JitOptions options) {
  init();
  CompileOptions co;
  co.executors = options.executors;
  co.cache = options.symbolic_numbers ? CacheMode::SymbolicValues : CacheMode::ConstantValues;
  co.shapes = options.dynamic_shapes ? ShapeMode::Symbolic : ShapeMode::Static;
  if (options.dataflow_partition) co.partition = *options.dataflow_partition ? PartitionMode::Dataflow : PartitionMode::Consecutive;
  co.keep_traces = options.keep_traces;
  TraceFn tf = [fn](Recorder& r, const std::vector<Value>& inputs) {
    Recorder* saved = g_recorder;
    g_recorder = &r;
    std::vector<Tensor> in;
    for (const auto& v : inputs) in.emplace_back(v.is_proxy() ? v.as_proxy() : -1);
    std::vector<Tensor> outs;
    try {
      outs = fn(in);
    } catch (...) {
      g_recorder = saved;
      throw;
    }
    g_recorder = saved;
    std::vector<Value> res;
    for (const auto& t : outs) res.push_back(Value::proxy(t.id()));
    return res;
  };
  Function f;
  f.impl = std::make_shared<CompiledFunction>(std::move(tf), std::move(co));
  return f;
}

std::vector<at::Tensor> Function::operator()(const std::vector<at::Tensor>& inputs) const { return impl->call_tensors(inputs); }

CacheStats Function::cache_info() const {
  const CacheInfo& i = impl->cache_info();
  return CacheStats{i.hits, i.misses, i.plans, i.trace_ms, i.passes_ms, i.plan_ms, i.pass_ms};
}

std::vector<std::pair<std::string, std::string>> Function::last_traces() const {
  std::vector<std::pair<std::string, std::string>> out;
  if (const CacheEntry* e = impl->last_entry())
    for (const auto& [name, t] : e->traces) out.emplace_back(name, print_trace(t));
  return out;
}

std::string Function::placement() const {
  const CacheEntry* e = impl->last_entry();
  return e ? e->placement.table() : std::string();
}

std::string Function::placement_summary() const {
  const CacheEntry* e = impl->last_entry();
  return e ? e->placement.summary() : std::string();
}

}  // namespace keraunos
