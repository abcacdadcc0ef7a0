// Compiling and running traces from Python: tensors cross as torch.Tensor without copies.
#include <torch/csrc/autograd/python_variable.h>
#include <torch/csrc/jit/python/pybind_utils.h>
#include <torch/csrc/utils/pybind.h>
#include <pybind11/stl.h>

#include <map>

#include "bindings.h"
#include "executors/api/dispatch.h"
#include "executors/api/registry.h"
#include "executors/torch/aten_executor.h"
#include "jit/host_compiler.h"
#include "keraunos/keraunos.h"
#include "ir/printer.h"
#include "runtime/host_allocator.h"
#include "runtime/plan.h"

namespace py = pybind11;

namespace keraunos::python {
namespace {

// A trace run through the execution pipeline with chosen executors, and its plan.
class Program {
 public:
  Program(Trace t, const std::vector<std::string>& executors) : trace_(std::move(t)) {
    keraunos::init();
    auto order = executor_registry().resolve(executors);
    PipelineOptions po = PipelineOptions::from_env();
    make_execution_pipeline(order, &placement_).run(trace_, po);
    plan_ = ExecutionPlan::build(trace_);
  }

  py::list run(const py::sequence& inputs) const {
    std::vector<c10::IValue> in;
    for (auto x : inputs) {
      if (THPVariable_Check(x.ptr())) in.emplace_back(THPVariable_Unpack(x.ptr()));
      else if (py::isinstance<py::bool_>(x)) in.emplace_back(x.cast<bool>());
      else if (py::isinstance<py::int_>(x)) in.emplace_back(x.cast<int64_t>());
      else in.emplace_back(x.cast<double>());
    }
    std::vector<c10::IValue> out;
    {
      py::gil_scoped_release release;
      out = plan_->run(in);
    }
    py::list res;
    for (const auto& v : out) res.append(torch::jit::toPyObject(v));
    return res;
  }

  std::string text() const { return print_trace(trace_); }
  std::string placement() const { return placement_.table(); }
  std::string placement_summary() const { return placement_.summary(); }
  size_t num_calls() const { return plan_->num_calls(); }

 private:
  Trace trace_;
  PlacementReport placement_;
  std::unique_ptr<ExecutionPlan> plan_;
};

}  // namespace

void bind_runtime(py::module_& m, std::function<Trace(py::handle)> trace_of) {
  // ATen's errors carry a C++ backtrace; Python users get the message.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const c10::Error& e) {
      py::set_error(PyExc_RuntimeError, e.what_without_backtrace());
    }
  });
  py::class_<Program>(m, "Program")
      .def("run", &Program::run, "Runs the plan on tensors and numbers given in the trace's input order")
      .def_property_readonly("text", &Program::text)
      .def_property_readonly("placement", &Program::placement)
      .def_property_readonly("placement_summary", &Program::placement_summary)
      .def_property_readonly("num_calls", &Program::num_calls);
  m.def("compile_trace", [trace_of](py::handle builder, const std::vector<std::string>& executors) {
    return std::make_unique<Program>(trace_of(builder), executors);
  }, py::arg("builder"), py::arg("executors") = std::vector<std::string>{},
        "Runs a TraceBuilder's trace through dce, dispatch, fusion, cse with the given executors (ATen always last) and builds its plan");
  m.def("executors", [] {
    keraunos::init();
    return executor_registry().names();
  });
  m.def("fuser_can_fuse", [trace_of](py::handle builder) {
    keraunos::init();
    Trace t = trace_of(builder);
    const FusionExecutor& fx = static_cast<const FusionExecutor&>(executor_registry().get("fuser"));
    for (const auto& b : t.bsyms)
      if (!fx.can_fuse(b, t)) return false;
    return !t.bsyms.empty();
  }, "Whether the CPU fuser claims every bound symbol a TraceBuilder recorded");
  m.def("kernel_cache_stats", [] {
    auto s = jit_compiler::cache_stats();
    py::dict d;
    d["memory_hits"] = s.memory_hits;
    d["disk_hits"] = s.disk_hits;
    d["compiles"] = s.compiles;
    d["rebuilt_corrupt"] = s.rebuilt_corrupt;
    return d;
  }, "The fused-kernel cache: memory hits, disk hits, compiles, corrupt entries rebuilt");
  m.def("host_pool_stats", [] {
    auto s = host_pool_stats();
    py::dict d;
    d["hits"] = s.hits;
    d["misses"] = s.misses;
    d["cached_bytes"] = s.cached_bytes;
    d["live_bytes"] = s.live_bytes;
    d["limit_bytes"] = s.limit_bytes;
    return d;
  }, "The host buffer pool that large kernel outputs come from");
  m.def("release_host_pool", &release_host_pool, "Unmaps every buffer the host pool holds");
  m.def("set_host_pool_limit", [](uint64_t bytes) { set_host_pool_limit(bytes); }, "How many bytes the host pool may hold");
  m.def("claims", [] {
    keraunos::init();
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& name : executor_registry().names()) {
      const Executor& ex = executor_registry().get(name);
      if (!ex.is_fusion()) out[name] = static_cast<const OperatorExecutor&>(ex).claimed_ids();
    }
    return out;
  }, "executor name -> symbol ids its operator implementations claim");
}

}  // namespace keraunos::python

// ---------------------------------------------------------------------------------------------
// The front end's compiled function: a CompiledFunction whose tracing calls back into Python.
#include "runtime/compiled_function.h"
#include "trace_builder.h"

namespace keraunos::python {
namespace {

c10::IValue to_ivalue(const py::handle& x) {
  if (THPVariable_Check(x.ptr())) return THPVariable_Unpack(x.ptr());
  if (x.is_none()) return c10::IValue();
  if (py::isinstance<py::bool_>(x)) return x.cast<bool>();
  if (py::isinstance<py::int_>(x)) return x.cast<int64_t>();
  if (py::isinstance<py::float_>(x)) return x.cast<double>();
  if (py::isinstance<py::str>(x)) return x.cast<std::string>();
  throw TypeError(str("keraunos: cannot pass a ", std::string(py::str(py::type::of(x).attr("__name__"))),
                      " to a compiled function (expected tensors, numbers, strings or None)"));
}

class PyFunction {
 public:
  PyFunction(py::function trace_cb, CompileOptions opts)
      : fn_(
            [cb = std::move(trace_cb)](Recorder& r, const std::vector<Value>& inputs) {
              // Python may keep the builder (and proxies) after tracing: it is detached when done.
              auto tb = std::make_shared<TraceBuilder>(r.trace(), r);
              struct Detach {
                std::shared_ptr<TraceBuilder> tb;
                ~Detach() { tb->detach(); }
              } detach{tb};
              py::list ins;
              for (const auto& v : inputs) ins.append(tb->from_value(v));
              py::object res = cb(py::cast(tb), ins);
              std::vector<Value> outs;
              for (auto o : res) outs.push_back(tb->to_value(o));
              return outs;
            },
            std::move(opts)) {}

  // Returns (outputs, entry id): the id names the cache entry, for the front end's output structure.
  py::tuple call(const py::list& leaves) {
    std::vector<c10::IValue> in;
    in.reserve(leaves.size());
    for (auto x : leaves) in.push_back(to_ivalue(x));
    std::vector<c10::IValue> out = fn_(in);
    py::list res;
    for (const auto& v : out) res.append(torch::jit::toPyObject(v));
    return py::make_tuple(res, reinterpret_cast<uintptr_t>(fn_.last_entry()));
  }

  py::dict cache_info() const {
    const CacheInfo& i = fn_.cache_info();
    py::dict d;
    d["hits"] = i.hits;
    d["misses"] = i.misses;
    d["plans"] = i.plans;
    d["trace_ms"] = i.trace_ms;
    d["passes_ms"] = i.passes_ms;
    d["plan_ms"] = i.plan_ms;
    d["pass_ms"] = i.pass_ms;
    return d;
  }

  std::vector<std::pair<std::string, std::string>> last_traces() const {
    std::vector<std::pair<std::string, std::string>> out;
    if (const CacheEntry* e = fn_.last_entry())
      for (const auto& [name, t] : e->traces) out.emplace_back(name, print_trace(t));
    return out;
  }

  py::object placement() const {
    const CacheEntry* e = fn_.last_entry();
    if (!e) return py::none();
    py::list rows;
    for (const auto& p : e->placement.entries) {
      py::list declined;
      for (const auto& [ex, why] : p.declined) declined.append(py::make_tuple(ex, why));
      rows.append(py::make_tuple(p.op, p.executor, p.fused, declined, p.text));
    }
    return py::make_tuple(rows, e->placement.table(), e->placement.summary());
  }

 private:
  CompiledFunction fn_;
};

}  // namespace

void bind_function(py::module_& m) {
  py::class_<PyFunction>(m, "Function")
      .def(py::init([](py::function cb, std::vector<std::string> executors, std::string cache, bool dynamic, std::string partition,
                       bool keep_traces) {
             keraunos::init();
             CompileOptions o;
             o.executors = std::move(executors);
             o.cache = cache == "symbolic values" ? CacheMode::SymbolicValues : cache == "no caching" ? CacheMode::NoCaching : CacheMode::ConstantValues;
             o.shapes = dynamic ? ShapeMode::Symbolic : ShapeMode::Static;
             if (partition == "dataflow") o.partition = PartitionMode::Dataflow;
             else if (partition == "consecutive") o.partition = PartitionMode::Consecutive;
             o.keep_traces = keep_traces;
             return std::make_unique<PyFunction>(std::move(cb), std::move(o));
           }),
           py::arg("trace_fn"), py::arg("executors") = std::vector<std::string>{}, py::arg("cache") = "constant values",
           py::arg("dynamic") = false, py::arg("partition") = "", py::arg("keep_traces") = true)
      .def("__call__", &PyFunction::call)
      .def("cache_info", &PyFunction::cache_info)
      .def("last_traces", &PyFunction::last_traces)
      .def("placement", &PyFunction::placement);
}

}  // namespace keraunos::python
