// Traces from Python: TraceBuilder records symbols on proxies (the Python front end and the op
// conformance tests use it); parse/print/verify/passes on trace text.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <functional>

#include "bindings.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/recorder.h"
#include "ir/verifier.h"
#include "ops/builtins.h"
#include "ops/meta_utils.h"
#include "passes/pass_manager.h"

namespace py = pybind11;

namespace keraunos::python {
namespace {

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
  TraceBuilder() : rec_(trace_) { ops::register_builtins(); }

  ProxyRef add_input_tensor(const py::sequence& shape, const std::string& dtype, const std::string& device,
                            bool requires_grad, const std::string& name) {
    TensorType tt;
    for (auto d : shape) {
      if (py::isinstance<ProxyRef>(d)) tt.shape.push_back(Dim::symbolic(d.cast<ProxyRef>().id));
      else tt.shape.push_back(Dim::constant(d.cast<int64_t>()));
    }
    auto dt = dtype_from_torch_name(dtype);
    KERAUNOS_CHECK(dt, "unknown dtype '", dtype, "'");
    auto dev = Device::parse(device);
    KERAUNOS_CHECK(dev, "unknown device '", device, "'");
    tt.dtype = *dt;
    tt.device = *dev;
    tt.requires_grad = requires_grad;
    ProxyId id = trace_.new_tensor(std::move(tt), name);
    trace_.inputs.push_back(id);
    return {id};
  }

  ProxyRef add_input_number(const std::string& kind, const std::string& name) {
    NumberType n;
    n.kind = kind == "int" ? NumberKind::Int : kind == "float" ? NumberKind::Float : kind == "bool" ? NumberKind::Bool : NumberKind::Complex;
    ProxyId id = trace_.new_number(n, name);
    trace_.inputs.push_back(id);
    return {id};
  }

  ProxyRef size_symbol(const std::string& name) { return {trace_.new_size_symbol(name)}; }

  py::list call(const std::string& id, const py::sequence& args, const py::dict& kwargs) {
    const Symbol& sym = global_symbols().get(id);
    std::vector<Value> a;
    for (auto x : args) a.push_back(to_value(x));
    std::vector<std::pair<std::string, Value>> kw;
    for (auto [k, v] : kwargs) kw.emplace_back(k.cast<std::string>(), to_value(v));
    auto outs = rec_.call(sym, std::move(a), std::move(kw));
    py::list result;
    for (const auto& o : outs) result.append(ProxyRef{o.as_proxy()});
    return result;
  }

  void set_outputs(const py::sequence& outs) {
    trace_.outputs.clear();
    for (auto o : outs) trace_.outputs.push_back(to_value(o));
  }

  // (shape, dtype, device, requires_grad) for tensors; (kind,) for numbers. Symbolic dims are names.
  py::tuple type_of(const ProxyRef& r) const {
    const auto& ty = trace_.type(r.id);
    if (!ty.is_tensor) {
      const char* k = ty.number.kind == NumberKind::Int ? "int" : ty.number.kind == NumberKind::Float ? "float" : ty.number.kind == NumberKind::Bool ? "bool" : "complex";
      return py::make_tuple(k);
    }
    py::list shape;
    for (const auto& d : ty.tensor.shape) {
      if (d.is_symbolic()) shape.append(trace_.name_of(d.sym));
      else shape.append(d.size);
    }
    return py::make_tuple(py::tuple(shape), std::string(torch_name(ty.tensor.dtype)), ty.tensor.device.to_string(),
                          ty.tensor.requires_grad);
  }

  std::string name_of(const ProxyRef& r) const { return trace_.name_of(r.id); }

  // The trace flattened to prims: [(symbol id, [args], [output proxies])], decompositions expanded
  // recursively. Keyword-only parameters are positional here, in parameter order.
  py::list flat_prims() const {
    py::list out;
    std::function<void(const BoundSymbol&)> visit = [&](const BoundSymbol& b) {
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
    for (const auto& b : trace_.bsyms) visit(b);
    return out;
  }

  py::list outputs() const {
    py::list out;
    for (const auto& v : trace_.outputs) out.append(from_value(v));
    return out;
  }
  std::string print(int depth) const { return print_trace(trace_, {depth}); }
  std::vector<std::string> verify() { return verify_trace(trace_); }
  size_t num_bsyms() const { return trace_.bsyms.size(); }
  const Trace& trace() const { return trace_; }
  std::vector<ProxyRef> inputs() const {
    std::vector<ProxyRef> out;
    for (ProxyId i : trace_.inputs) out.push_back({i});
    return out;
  }

 private:
  py::object from_value(const Value& v) const {
    switch (v.kind()) {
      case Value::Kind::None: return py::none();
      case Value::Kind::Bool: return py::bool_(v.as_bool());
      case Value::Kind::Int: return py::int_(v.as_int());
      case Value::Kind::Float: return py::float_(v.as_float());
      case Value::Kind::Str: return py::str(v.as_str());
      case Value::Kind::DType: return py::cast(DTypeArg{v.as_dtype()});
      case Value::Kind::Device: return py::cast(DeviceArg{v.as_device()});
      case Value::Kind::Proxy: return py::cast(ProxyRef{v.as_proxy()});
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

  Trace trace_;
  Recorder rec_;
};

}  // namespace

Trace trace_of_builder(py::handle h) { return h.cast<const TraceBuilder&>().trace(); }

void bind_trace(py::module_& m) {
  py::class_<ProxyRef>(m, "Proxy")
      .def_readonly("id", &ProxyRef::id)
      .def("__repr__", [](const ProxyRef& r) { return "<keraunos proxy " + std::to_string(r.id) + ">"; })
      .def("__hash__", [](const ProxyRef& r) { return r.id; })
      .def("__eq__", [](const ProxyRef& a, const ProxyRef& b) { return a.id == b.id; });
  py::class_<DTypeArg>(m, "DType")
      .def(py::init([](const std::string& name) {
        auto t = dtype_from_torch_name(name);
        KERAUNOS_CHECK(t, "unknown dtype '", name, "'");
        return DTypeArg{*t};
      }))
      .def_property_readonly("name", [](const DTypeArg& d) { return std::string(torch_name(d.t)); });
  py::class_<DeviceArg>(m, "Device")
      .def(py::init([](const std::string& s) {
        auto d = Device::parse(s);
        KERAUNOS_CHECK(d, "unknown device '", s, "'");
        return DeviceArg{*d};
      }))
      .def("__str__", [](const DeviceArg& d) { return d.d.to_string(); });
  py::class_<TraceBuilder>(m, "TraceBuilder")
      .def(py::init<>())
      .def("add_input_tensor", &TraceBuilder::add_input_tensor, py::arg("shape"), py::arg("dtype"), py::arg("device") = "cpu",
           py::arg("requires_grad") = false, py::arg("name") = "")
      .def("add_input_number", &TraceBuilder::add_input_number, py::arg("kind"), py::arg("name") = "")
      .def("size_symbol", &TraceBuilder::size_symbol, py::arg("name") = "")
      .def("call", &TraceBuilder::call, py::arg("op"), py::arg("args"), py::arg("kwargs") = py::dict())
      .def("set_outputs", &TraceBuilder::set_outputs)
      .def("type_of", &TraceBuilder::type_of)
      .def("name_of", &TraceBuilder::name_of)
      .def("print", &TraceBuilder::print, py::arg("depth") = -1)
      .def("verify", &TraceBuilder::verify)
      .def("flat_prims", &TraceBuilder::flat_prims)
      .def("outputs", &TraceBuilder::outputs)
      .def_property_readonly("inputs", [](const TraceBuilder& tb) { return tb.inputs(); })
      .def("num_bsyms", &TraceBuilder::num_bsyms);

  m.def("symbols", [] {
    ops::register_builtins();
    std::vector<std::tuple<std::string, bool, uint32_t>> out;
    for (const Symbol* s : global_symbols().all()) out.emplace_back(s->id, s->is_prim, s->tags);
    return out;
  }, "(id, is_prim, tags) for every registered symbol, in registration order");
  m.def("run_passes", [](const std::string& text, const std::vector<std::string>& passes) {
    Trace t = parse_trace(text, ops::register_builtins());
    verify_or_throw(t, "as parsed");
    make_pipeline(passes).run(t, PipelineOptions::from_env());
    return print_trace(t);
  }, py::arg("text"), py::arg("passes"), "Parses trace text, runs the passes, returns the printed result");
}

}  // namespace keraunos::python
