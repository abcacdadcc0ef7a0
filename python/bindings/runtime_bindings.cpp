// Compiling and running traces from Python: tensors cross as torch.Tensor without copies.
#include <pybind11/stl.h>
#include <torch/csrc/autograd/python_variable.h>
#include <torch/csrc/jit/python/pybind_utils.h>
#include <torch/csrc/utils/pybind.h>

#include <map>

#include "bindings.h"
#include "executors/api/dispatch.h"
#include "executors/api/registry.h"
#include "ir/printer.h"
#include "jit/host_compiler.h"
#include "keraunos/keraunos.h"
#include "ops/autograd.h"
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
      if (THPVariable_Check(x.ptr()))
        in.emplace_back(THPVariable_Unpack(x.ptr()));
      else if (py::isinstance<py::bool_>(x))
        in.emplace_back(x.cast<bool>());
      else if (py::isinstance<py::int_>(x))
        in.emplace_back(x.cast<int64_t>());
      else
        in.emplace_back(x.cast<double>());
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
  // (op, executor, [(executor, reason it declined)]) per placement decision.
  py::list placement_rows() const {
    py::list rows;
    for (const auto& p : placement_.entries) rows.append(py::make_tuple(p.op, p.executor, p.declined));
    return rows;
  }
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
      .def_property_readonly("placement_rows", &Program::placement_rows)
      .def_property_readonly("num_calls", &Program::num_calls);
  m.def(
      "compile_trace",
      [trace_of](py::handle builder, const std::vector<std::string>& executors) {
        return std::make_unique<Program>(trace_of(builder), executors);
      },
      py::arg("builder"), py::arg("executors") = std::vector<std::string>{},
      "Runs a TraceBuilder's trace through dce, dispatch, fusion, cse with the given executors (ATen always last) and builds its plan");
  m.def(
      "compile_grad",
      [trace_of](py::handle builder, const std::vector<bool>& wrt, const std::vector<std::string>& executors) {
        keraunos::init();
        return std::make_unique<Program>(ops::joint_trace(trace_of(builder), wrt), executors);
      },
      py::arg("builder"), py::arg("wrt"), py::arg("executors") = std::vector<std::string>{},
      "The joint forward+backward trace of a TraceBuilder's trace (inputs: the forward's, then one gradient per floating "
      "output; outputs: the forward's, then the gradients of the inputs `wrt` marks), built into a plan");
  m.def(
      "compile_grad_split",
      [trace_of](py::handle builder, const std::vector<bool>& wrt, const std::vector<std::string>& executors) {
        keraunos::init();
        Trace fwd = trace_of(builder);
        const size_t n_in = fwd.inputs.size(), n_out = fwd.outputs.size();
        ops::SplitTrace s = ops::split_joint(ops::joint_trace(fwd, wrt), n_in, n_out);
        return py::make_tuple(std::make_unique<Program>(std::move(s.forward), executors),
                              std::make_unique<Program>(std::move(s.backward), executors), s.n_outputs, s.n_saved);
      },
      py::arg("builder"), py::arg("wrt"), py::arg("executors") = std::vector<std::string>{},
      "compile_grad's joint trace split in two: (forward plan: inputs -> outputs + saved values, backward plan: saved + "
      "output gradients -> input gradients, number of outputs, number of saved values)");
  m.def("executors", [] {
    keraunos::init();
    return executor_registry().names();
  });
  m.def(
      "fuser_can_fuse",
      [trace_of](py::handle builder) {
        keraunos::init();
        Trace t = trace_of(builder);
        const FusionExecutor& fx = static_cast<const FusionExecutor&>(executor_registry().get("fuser"));
        for (const auto& b : t.bsyms)
          if (!fx.can_fuse(b, t)) return false;
        return !t.bsyms.empty();
      },
      "Whether the CPU fuser claims every bound symbol a TraceBuilder recorded");
  m.def(
      "kernel_cache_stats",
      [] {
        auto s = jit_compiler::cache_stats();
        return fields({{"memory_hits", py::int_(s.memory_hits)},
                       {"disk_hits", py::int_(s.disk_hits)},
                       {"compiles", py::int_(s.compiles)},
                       {"rebuilt_corrupt", py::int_(s.rebuilt_corrupt)}});
      },
      "The fused-kernel cache: memory hits, disk hits, compiles, corrupt entries rebuilt");
  m.def(
      "host_pool_stats",
      [] {
        auto s = host_pool_stats();
        return fields({{"hits", py::int_(s.hits)},
                       {"misses", py::int_(s.misses)},
                       {"cached_bytes", py::int_(s.cached_bytes)},
                       {"live_bytes", py::int_(s.live_bytes)},
                       {"limit_bytes", py::int_(s.limit_bytes)}});
      },
      "The host buffer pool that large kernel outputs come from");
  m.def("release_host_pool", &release_host_pool, "Unmaps every buffer the host pool holds");
  m.def(
      "set_host_pool_limit", [](uint64_t bytes) { set_host_pool_limit(bytes); }, "How many bytes the host pool may hold");
  m.def(
      "claims",
      [] {
        keraunos::init();
        std::map<std::string, std::vector<std::string>> out;
        for (const auto& name : executor_registry().names()) {
          const Executor& ex = executor_registry().get(name);
          if (!ex.is_fusion()) out[name] = static_cast<const OperatorExecutor&>(ex).claimed_ids();
        }
        return out;
      },
      "executor name -> symbol ids its operator implementations claim");
}

}  // namespace keraunos::python
