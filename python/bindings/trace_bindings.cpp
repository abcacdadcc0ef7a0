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
#include "ops/prim_table.h"
#include "ops/prims/prims.h"
#include "ops/torch/promotion.h"
#include "passes/pass_manager.h"
#include "trace_builder.h"

namespace py = pybind11;

namespace keraunos::python {
namespace {}  // namespace

TraceBuilder::TraceBuilder()
    : owned_trace_(std::make_unique<Trace>()),
      owned_rec_(std::make_unique<Recorder>(*owned_trace_)),
      trace_(owned_trace_.get()),
      rec_(owned_rec_.get()) {
  ops::register_builtins();
}

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
  // The op table's prims, by generated id: Python names a prim as _C.PrimId.add, never as a string.
  py::enum_<ops::PrimId> prim_ids(m, "PrimId");
  for (size_t i = 0; i < ops::kNumPrims; ++i) prim_ids.value(ops::kPrimNames[i].data(), static_cast<ops::PrimId>(i));
  py::class_<TraceBuilder, std::shared_ptr<TraceBuilder>>(m, "TraceBuilder")
      .def(py::init<>())
      .def("add_input_tensor", &TraceBuilder::add_input_tensor, py::arg("shape"), py::arg("dtype"), py::arg("device") = "cpu",
           py::arg("requires_grad") = false, py::arg("name") = "")
      .def("add_input_number", &TraceBuilder::add_input_number, py::arg("kind"), py::arg("name") = "")
      .def("size_symbol", &TraceBuilder::size_symbol, py::arg("name") = "")
      .def("call", &TraceBuilder::call, py::arg("op"), py::arg("args"), py::arg("kwargs") = py::dict())
      .def(
          "call",
          [](TraceBuilder& tb, ops::PrimId op, const py::sequence& args, const py::dict& kwargs) {
            ops::register_builtins();
            return tb.call(ops::prim_symbol(op).id, args, kwargs);
          },
          py::arg("op"), py::arg("args"), py::arg("kwargs") = py::dict())
      .def("set_outputs", &TraceBuilder::set_outputs)
      .def("type_of", &TraceBuilder::type_of)
      .def("name_of", &TraceBuilder::name_of)
      .def("print", &TraceBuilder::print, py::arg("depth") = -1)
      .def("verify", &TraceBuilder::verify)
      .def("flat_prims", &TraceBuilder::flat_prims)
      .def("outputs", &TraceBuilder::outputs)
      .def_property_readonly("inputs", [](const TraceBuilder& tb) { return tb.inputs(); })
      .def("num_bsyms", &TraceBuilder::num_bsyms);

  m.def(
      "set_default_dtype",
      [](const std::string& name) {
        auto t = dtype_from_torch_name(name);
        KERAUNOS_CHECK(t && is_floating(*t), "set_default_dtype: expected a floating dtype, got '", name, "'");
        ops::set_default_float_dtype(*t);
      },
      "The dtype torch-level ops use for Python floats and integer-to-float promotion (torch.get_default_dtype())");
  m.def(
      "symbols",
      [] {
        ops::register_builtins();
        std::vector<std::tuple<std::string, bool, uint32_t>> out;
        for (const Symbol* s : global_symbols().all()) out.emplace_back(s->id, s->is_prim, s->tags);
        return out;
      },
      "(id, is_prim, tags) for every registered symbol, in registration order");
  m.def(
      "signature",
      [](const std::string& id) {
        ops::register_builtins();
        return signature(global_symbols().get(id));
      },
      "a symbol's parameters: \"torch.sum(a: Tensor, dim: OptInts = None, ...)\"");
  m.def(
      "dtype_names",
      [] {
        std::vector<std::string> out;
        for (int i = 0; i < kNumDTypes; ++i) out.emplace_back(torch_name(static_cast<DType>(i)));
        return out;
      },
      "torch's names of the dtypes keraunos has (torch.<name>)");
  m.def(
      "creation_ops",
      [] {
        ops::register_builtins();
        std::vector<std::string> out;
        for (const Symbol* s : global_symbols().all())
          if (!s->is_prim && s->has_tag(kTagCreation) && (s->params.empty() || s->params[0].kind != ParamKind::Tensor))
            out.push_back(s->id);
        return out;
      },
      "torch-level ops that make tensors from no tensor argument (creation ops other than *_like)");
  m.def(
      "python_facts",
      [] {
        ops::register_builtins();
        auto policy = [](AutocastPolicy p) { return p == AutocastPolicy::Lower ? "lower" : p == AutocastPolicy::Fp32 ? "fp32" : ""; };
        py::dict out;
        for (const Symbol* s : global_symbols().all()) {
          if (s->is_prim) continue;
          py::dict d;
          d["names"] = s->python.names;
          d["view"] = s->has_tag(kTagView);
          d["varargs"] = s->python.vararg_sizes;
          d["returns"] = s->python.return_type;
          d["autocast_cpu"] = policy(s->python.autocast_cpu);
          d["autocast_cuda"] = policy(s->python.autocast_cuda);
          out[py::str(s->id)] = d;
        }
        return out;
      },
      "id -> the Python facts declared with each torch-level op: other names and operators, view, varargs, return type, autocast");
  m.def(
      "elementwise_prims",
      [] {
        ops::register_builtins();
        static const char* kFlags[] = {"fuse", "float_code", "libm", "nan_prop", "cheap", "lanes", "compare", "logic"};
        py::list rows;
        for (const auto& e : ops::kElementwisePrims) {
          py::list flags;
          for (int b = 0; b < 8; ++b)
            if (e.fuser & (1u << b)) flags.append(kFlags[b]);
          py::dict d;
          d["prim"] = std::string(e.qualified);
          d["arity"] = e.arity;
          d["fuser"] = flags;
          d["torch"] = std::string(e.torch);
          d["cpp_template"] = std::string(e.cpp);
          rows.append(d);
        }
        return rows;
      },
      "The op table's elementwise prims (ops/prim_table.h): prim id, arity, fuser flags, torch-level op");
  m.def(
      "run_passes",
      [](const std::string& text, const std::vector<std::string>& passes) {
        Trace t = parse_trace(text, ops::register_builtins());
        verify_or_throw(t, "as parsed");
        make_pipeline(passes).run(t, PipelineOptions::from_env());
        return print_trace(t);
      },
      py::arg("text"), py::arg("passes"), "Parses trace text, runs the passes, returns the printed result");
}

}  // namespace keraunos::python
