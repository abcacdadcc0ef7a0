// TraceBuilder: records symbols on proxies from Python. It owns a trace (the conformance tests) or
// records into one a compiled function is tracing (the front end).
#pragma once

#include <pybind11/pybind11.h>

#include <pybind11/stl.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ir/printer.h"
#include "ir/recorder.h"
#include "ir/trace.h"
#include "ir/verifier.h"
#include "support/error.h"

namespace keraunos::python {

namespace py = pybind11;

// A proxy as Python sees it: an id into the builder's trace.
struct ProxyRef {
  ProxyId id;
};

struct DTypeArg {
  DType t;
};

struct DeviceArg {
  Device d;
};

class TraceBuilder {
 public:
  TraceBuilder();
  // Records into a trace owned elsewhere (a compiled function's trace being recorded).
  TraceBuilder(Trace& trace, Recorder& rec) : trace_(&trace), rec_(&rec) {}
  // The trace it records into is gone (the compiled function finished tracing): later use raises.
  void detach() {
    trace_ = nullptr;
    rec_ = nullptr;
  }
  TraceBuilder(const TraceBuilder&) = delete;
  TraceBuilder& operator=(const TraceBuilder&) = delete;

  ProxyRef add_input_tensor(const py::sequence& shape, const std::string& dtype, const std::string& device, bool requires_grad,
                            const std::string& name) {
    TensorType tt;
    for (auto d : shape) {
      if (py::isinstance<ProxyRef>(d))
        tt.shape.push_back(Dim::symbolic(d.cast<ProxyRef>().id));
      else
        tt.shape.push_back(Dim::constant(d.cast<int64_t>()));
    }
    auto dt = dtype_from_torch_name(dtype);
    KERAUNOS_CHECK(dt, "unknown dtype '", dtype, "'");
    auto dev = Device::parse(device);
    KERAUNOS_CHECK(dev, "unknown device '", device, "'");
    tt.dtype = *dt;
    tt.device = *dev;
    tt.requires_grad = requires_grad;
    ProxyId id = tr().new_tensor(std::move(tt), name);
    tr().inputs.push_back(id);
    return {id};
  }

  ProxyRef add_input_number(const std::string& kind, const std::string& name) {
    NumberType n;
    n.kind = kind == "int"     ? NumberKind::Int
             : kind == "float" ? NumberKind::Float
             : kind == "bool"  ? NumberKind::Bool
                               : NumberKind::Complex;
    ProxyId id = tr().new_number(n, name);
    tr().inputs.push_back(id);
    return {id};
  }

  ProxyRef size_symbol(const std::string& name) { return {tr().new_size_symbol(name)}; }

  py::list call(const std::string& id, const py::sequence& args, const py::dict& kwargs) {
    const Symbol& sym = global_symbols().get(id);
    std::vector<Value> a;
    for (auto x : args) a.push_back(to_value(x));
    std::vector<std::pair<std::string, Value>> kw;
    for (auto [k, v] : kwargs) kw.emplace_back(k.cast<std::string>(), to_value(v));
    auto outs = rec().call(sym, std::move(a), std::move(kw));
    py::list result;
    for (const auto& o : outs) result.append(ProxyRef{o.as_proxy()});
    return result;
  }

  void set_outputs(const py::sequence& outs) {
    tr().outputs.clear();
    for (auto o : outs) tr().outputs.push_back(to_value(o));
  }

  // (shape, dtype, device, requires_grad) for tensors; (kind,) for numbers. Symbolic dims are names.
  py::tuple type_of(const ProxyRef& r) const {
    const auto& ty = tr().type(r.id);
    if (!ty.is_tensor) {
      const char* k = ty.number.kind == NumberKind::Int     ? "int"
                      : ty.number.kind == NumberKind::Float ? "float"
                      : ty.number.kind == NumberKind::Bool  ? "bool"
                                                            : "complex";
      return py::make_tuple(k);
    }
    py::list shape;
    for (const auto& d : ty.tensor.shape) {
      if (d.is_symbolic())
        shape.append(ProxyRef{d.sym});  // a size symbol: an int proxy
      else
        shape.append(d.size);
    }
    return py::make_tuple(py::tuple(shape), std::string(torch_name(ty.tensor.dtype)), ty.tensor.device.to_string(),
                          ty.tensor.requires_grad);
  }

  std::string name_of(const ProxyRef& r) const { return tr().name_of(r.id); }

  // The trace flattened to prims: [(symbol id, [args], [output proxies])], decompositions expanded
  // recursively. Keyword-only parameters are positional here, in parameter order.
  py::list flat_prims() const {
    py::list out;
    std::function<void(const BoundSymbol&)> visit = [&](const BoundSymbol& b) {
      if (!b.sym->is_prim && b.subsymbols.empty() && b.outputs.empty()) return;  // nothing to run
      if (b.sym->is_prim || b.subsymbols.empty()) {
        py::list args;
        for (const auto& a : b.args) args.append(from_value(a));
        py::list outs;
        for (ProxyId o : b.outputs) outs.append(ProxyRef{o});
        out.append(py::make_tuple(b.sym->id, args, outs));
        return;
      }
      for (const auto& s : b.subsymbols) visit(s);
    };
    for (const auto& b : tr().bsyms) visit(b);
    return out;
  }

  py::list outputs() const {
    py::list out;
    for (const auto& v : tr().outputs) out.append(from_value(v));
    return out;
  }
  std::string print(int depth) const { return print_trace(tr(), {depth}); }
  std::vector<std::string> verify() { return verify_trace(tr()); }
  size_t num_bsyms() const { return tr().bsyms.size(); }
  const Trace& trace() const { return tr(); }
  std::vector<ProxyRef> inputs() const {
    std::vector<ProxyRef> out;
    for (ProxyId i : tr().inputs) out.push_back({i});
    return out;
  }

 public:
  py::object from_value(const Value& v) const {
    switch (v.kind()) {
      case Value::Kind::None:
        return py::none();
      case Value::Kind::Bool:
        return py::bool_(v.as_bool());
      case Value::Kind::Int:
        return py::int_(v.as_int());
      case Value::Kind::Float:
        return py::float_(v.as_float());
      case Value::Kind::Str:
        return py::str(v.as_str());
      case Value::Kind::DType:
        return py::cast(DTypeArg{v.as_dtype()});
      case Value::Kind::Device:
        return py::cast(DeviceArg{v.as_device()});
      case Value::Kind::Proxy:
        return py::cast(ProxyRef{v.as_proxy()});
      case Value::Kind::Tuple: {
        py::list items;
        for (const auto& e : v.as_tuple()) items.append(from_value(e));
        return py::tuple(items);
      }
    }
    return py::none();
  }

  Value to_value(const py::handle& x) const {
    if (x.is_none()) return Value::none();
    if (py::isinstance<ProxyRef>(x)) return Value::proxy(x.cast<ProxyRef>().id);
    if (py::isinstance<py::bool_>(x)) return Value::boolean(x.cast<bool>());
    if (py::isinstance<py::int_>(x)) return Value::integer(x.cast<int64_t>());
    if (py::isinstance<py::float_>(x)) return Value::floating(x.cast<double>());
    if (py::isinstance<py::str>(x)) return Value::string(x.cast<std::string>());
    if (py::isinstance<DTypeArg>(x)) return Value::dtype(x.cast<DTypeArg>().t);
    if (py::isinstance<DeviceArg>(x)) return Value::device(x.cast<DeviceArg>().d);
    if (py::isinstance<py::tuple>(x) || py::isinstance<py::list>(x)) {
      std::vector<Value> items;
      for (auto e : py::reinterpret_borrow<py::sequence>(x)) items.push_back(to_value(e));
      return Value::tuple(std::move(items));
    }
    throw TypeError(str("cannot pass a Python ", std::string(py::str(py::type::of(x).attr("__name__"))), " to a keraunos op"));
  }

  std::unique_ptr<Trace> owned_trace_;
  std::unique_ptr<Recorder> owned_rec_;
  Trace* trace_;
  Recorder* rec_;
  Trace& tr() const {
    KERAUNOS_CHECK(trace_ != nullptr, "keraunos: this proxy belongs to a trace that has finished recording");
    return *trace_;
  }
  Recorder& rec() const {
    KERAUNOS_CHECK(rec_ != nullptr, "keraunos: this proxy belongs to a trace that has finished recording");
    return *rec_;
  }
};

}  // namespace keraunos::python
