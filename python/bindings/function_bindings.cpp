// The front end's compiled function (keraunos.jit returns a Python subclass of it). Its __call__ is
// C++: for the common call (tensor arguments, no keywords, no autograd, a cached signature) it reads
// the call context from torch's C++ state, looks the plan up and runs it without entering Python;
// every other call goes to the Python slow path (`_slow_call`), which flattens structures, traces
// on a miss and routes autograd.
#include <ATen/autocast_mode.h>
#include <c10/core/DefaultDtype.h>
#include <c10/core/GradMode.h>
#include <pybind11/stl.h>
#include <torch/csrc/autograd/python_variable.h>
#include <torch/csrc/jit/python/pybind_utils.h>
#include <torch/csrc/utils/pybind.h>

#include <functional>
#include <unordered_map>

#include "bindings.h"
#include "executors/api/executor.h"
#include "ir/printer.h"
#include "keraunos/keraunos.h"
#include "runtime/compiled_function.h"
#include "support/hash.h"
#include "trace_builder.h"

namespace py = pybind11;

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

// How a plan's flat outputs become the function's result.
enum class OutForm : uint8_t { Leaf, Tuple, Tree };

// The slow-path call in progress on this thread: what the trace callback needs (the Python object,
// the call's flattened arguments) and what it leaves (the output structure). Borrowed references,
// valid for the call.
struct CallState {
  PyObject* self;
  PyObject* pending;
  py::object spec;
  OutForm form;
};
thread_local CallState* t_call = nullptr;

class PyFunction {
 public:
  explicit PyFunction(CompileOptions opts)
      : fn_(
            [this](Recorder& r, const std::vector<Value>& inputs) {
              // Python may keep the builder (and proxies) after tracing: it is detached when done.
              auto tb = std::make_shared<TraceBuilder>(r.trace(), r);
              struct Detach {
                std::shared_ptr<TraceBuilder> tb;
                ~Detach() { tb->detach(); }
              } detach{tb};
              py::list ins;
              for (const auto& v : inputs) ins.append(tb->from_value(v));
              // _trace(builder, inputs, pending) returns (flat outputs, their pytree spec, OutForm as an int).
              CallState& call = *t_call;
              py::tuple res = py::handle(call.self).attr("_trace")(py::cast(tb), ins, py::handle(call.pending));
              call.spec = res[1];
              call.form = static_cast<OutForm>(res[2].cast<int>());
              std::vector<Value> outs;
              for (auto o : res[0]) outs.push_back(tb->to_value(o));
              return outs;
            },
            std::move(opts)) {}

  // self(*args, **kwargs)
  py::object call(py::handle self, const py::args& args, const py::kwargs& kwargs) {
    const size_t n = args.size();
    if (kwargs.size() != 0 || (has_layout_ && !layout_current())) return slow(self, args, kwargs);
    std::vector<at::Tensor> in;
    in.reserve(n + slots_.size());
    for (size_t i = 0; i < n; ++i) {
      PyObject* a = PyTuple_GET_ITEM(args.ptr(), static_cast<Py_ssize_t>(i));
      if (!THPVariable_Check(a)) return slow(self, args, kwargs);  // nn.Parameter too (the backend passes them)
      in.push_back(THPVariable_Unpack(a));
    }
    for (const auto& [dict, name] : slots_) {
      PyObject* v = PyDict_GetItemWithError(dict.ptr(), name.ptr());
      if (v == nullptr || !THPVariable_Check(v)) {
        PyErr_Clear();
        return slow(self, args, kwargs);  // a parameter or buffer was removed: the layout is re-read
      }
      in.push_back(THPVariable_Unpack(v));
    }
    if (c10::GradMode::is_enabled())
      for (const auto& t : in)
        if (t.requires_grad()) return slow(self, args, kwargs);
    const CacheEntry* e = fn_.find(in, context());
    if (e == nullptr || !e->plan->tensors_only()) return slow(self, args, kwargs);
    auto it = forms_.find(e);
    if (it == forms_.end()) return slow(self, args, kwargs);
    std::vector<at::Tensor> outs = e->plan->run_tensors(in);
    return result(self, it->second, outs);
  }

  // The slow path's plan call: (flat outputs as a list, their pytree spec); traces on a miss, handing
  // `pending` (the call's flattened arguments) to _trace.
  py::tuple run_flat(py::handle self, const py::list& leaves, py::handle pending) {
    std::vector<c10::IValue> in;
    in.reserve(leaves.size());
    for (auto x : leaves) in.push_back(to_ivalue(x));
    // Per call, on this thread: another thread may call this function while this one traces.
    CallState call{self.ptr(), pending.ptr(), py::none(), OutForm::Tree};
    CallState* outer = t_call;
    t_call = &call;
    struct Restore {
      CallState* outer;
      ~Restore() { t_call = outer; }
    } restore{outer};
    const CacheEntry* used = nullptr;
    std::vector<c10::IValue> out = fn_(in, context(), &used);
    const Form& form = form_of(used, call);
    py::list res;
    for (const auto& v : out) res.append(torch::jit::toPyObject(v));
    return py::make_tuple(res, form.spec);
  }

  // A module's layout: its submodules (whose modes, parameter and buffer counts and children are
  // checked on every call), the parameters and buffers ((dict, name) pairs, read on every call) and
  // the modes string that keys its plans.
  void set_layout(const py::list& modules, const py::list& slots, const std::string& modes) {
    modules_.clear();
    for (auto m : modules) {
      ModuleState st;
      st.module = py::reinterpret_borrow<py::object>(m);
      st.attrs = m.attr("__dict__");
      st.params = m.attr("_parameters");
      st.buffers = m.attr("_buffers");
      st.children = m.attr("_modules");
      st.n_params = PyDict_Size(st.params.ptr());
      st.n_buffers = PyDict_Size(st.buffers.ptr());
      for (auto kv : st.children.cast<py::dict>()) st.kids.push_back(py::reinterpret_borrow<py::object>(kv.second));
      st.training = m.attr("training").cast<bool>();
      modules_.push_back(std::move(st));
    }
    has_layout_ = true;
    slots_.clear();
    for (auto s : slots) {
      auto pair = s.cast<py::tuple>();
      slots_.emplace_back(pair[0], pair[1]);
    }
    modes_id_ = static_cast<int64_t>(hash_string(modes));
  }

  // Whether the module still has the layout the plans were made for: no submodule added, removed or
  // replaced, no parameter or buffer added or removed, no train()/eval() switch.
  bool layout_current() const {
    static PyObject* const kTraining = PyUnicode_InternFromString("training");
    for (const ModuleState& m : modules_) {
      // `training` from the instance dict (where nn.Module keeps it), not attribute lookup: no new
      // string and no walk of the class hierarchy per call.
      PyObject* t = PyDict_GetItemWithError(m.attrs.ptr(), kTraining);  // borrowed
      if (t == nullptr) {
        PyErr_Clear();
        return false;
      }
      const bool training = t == Py_True;
      if (training != m.training || PyDict_Size(m.params.ptr()) != m.n_params || PyDict_Size(m.buffers.ptr()) != m.n_buffers ||
          PyDict_Size(m.children.ptr()) != static_cast<Py_ssize_t>(m.kids.size()))
        return false;
      Py_ssize_t pos = 0;
      PyObject *key, *value;
      size_t i = 0;
      while (PyDict_Next(m.children.ptr(), &pos, &key, &value))
        if (value != m.kids[i++].ptr()) return false;
    }
    return true;
  }

  py::dict cache_info() const {
    const CacheInfo& i = fn_.cache_info();
    return fields({{"hits", py::int_(i.hits)},
                   {"misses", py::int_(i.misses)},
                   {"plans", py::int_(i.plans)},
                   {"trace_ms", py::float_(i.trace_ms)},
                   {"passes_ms", py::float_(i.passes_ms)},
                   {"plan_ms", py::float_(i.plan_ms)},
                   {"pass_ms", py::cast(i.pass_ms)}});
  }

  std::vector<std::pair<std::string, std::string>> last_traces() const {
    std::vector<std::pair<std::string, std::string>> out;
    if (const CacheEntry* e = fn_.last_entry())
      for (const auto& [name, t] : e->traces) out.emplace_back(name, print_trace(t));
    return out;
  }

  // The last call's execution trace as a graph: (inputs, nodes, outputs), values as (name, type);
  // a node is (op, executor, [input names], [output names], [member ops of a fusion region]).
  py::object graph() const {
    const CacheEntry* e = fn_.last_entry();
    if (!e || e->traces.empty()) return py::none();
    const Trace& t = e->traces.back().second;
    auto value = [&](ProxyId p) { return py::make_tuple(t.name_of(p), print_type(t, t.type(p))); };
    py::list inputs, nodes, outputs;
    for (ProxyId p : t.inputs) inputs.append(value(p));
    for (const auto& b : t.bsyms) {
      if (b.sym->has_tag(kTagInternal) && !b.sym->has_tag(kTagFusion)) continue;  // bookkeeping (del)
      py::list ins, outs, members;
      b.for_each_input([&](ProxyId p) { ins.append(value(p)); });
      for (ProxyId o : b.outputs) outs.append(value(o));
      std::function<void(const BoundSymbol&)> collect = [&](const BoundSymbol& m) {
        if (m.sym->is_prim || m.subsymbols.empty())
          members.append(m.sym->id);
        else
          for (const auto& s : m.subsymbols) collect(s);
      };
      if (b.sym->has_tag(kTagFusion))
        for (const auto& m : b.subsymbols) collect(m);
      nodes.append(py::make_tuple(b.sym->id, b.sym->executor ? b.sym->executor->name() : std::string(), ins, outs, members));
    }
    for (const auto& v : t.outputs)
      if (v.is_proxy()) outputs.append(value(v.as_proxy()));
    return py::make_tuple(inputs, nodes, outputs);
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
  struct Form {
    OutForm form;
    py::object spec;
  };

  // What besides the inputs decides the program: the default dtype, autocast on the CPU and on CUDA
  // (with its dtype), and the module's layout and modes.
  const std::vector<int64_t>& context() {
    ctx_.clear();
    ctx_.push_back(static_cast<int64_t>(c10::typeMetaToScalarType(c10::get_default_dtype())));
    for (auto dev : {at::kCPU, at::kCUDA})
      ctx_.push_back(at::autocast::is_autocast_enabled(dev) ? static_cast<int64_t>(at::autocast::get_autocast_dtype(dev)) : -1);
    ctx_.push_back(modes_id_);
    return ctx_;
  }

  // The entry's output form: recorded when this call traced it.
  const Form& form_of(const CacheEntry* e, const CallState& call) {
    auto it = forms_.find(e);
    if (it != forms_.end()) return it->second;
    KERAUNOS_CHECK(!call.spec.is_none(), "keraunos: a plan's output structure is unknown (it was traced by another function object)");
    return forms_.emplace(e, Form{call.form, call.spec}).first->second;
  }

  py::object result(py::handle self, const Form& form, std::vector<at::Tensor>& outs) const {
    if (form.form == OutForm::Leaf) return py::reinterpret_steal<py::object>(THPVariable_Wrap(std::move(outs[0])));
    py::tuple t(outs.size());
    for (size_t i = 0; i < outs.size(); ++i) PyTuple_SET_ITEM(t.ptr(), static_cast<Py_ssize_t>(i), THPVariable_Wrap(std::move(outs[i])));
    if (form.form == OutForm::Tuple) return t;
    return self.attr("_unflatten")(py::list(t), form.spec);
  }

  py::object slow(py::handle self, const py::args& args, const py::kwargs& kwargs) { return self.attr("_slow_call")(*args, **kwargs); }

  CompiledFunction fn_;
  std::unordered_map<const CacheEntry*, Form> forms_;
  struct ModuleState {
    py::object module, attrs, params, buffers, children;  // attrs: the module's __dict__
    Py_ssize_t n_params = 0, n_buffers = 0;
    std::vector<py::object> kids;
    bool training = false;
  };
  bool has_layout_ = false;  // a module (a function has no layout)
  std::vector<ModuleState> modules_;
  std::vector<std::pair<py::object, py::object>> slots_;
  int64_t modes_id_ = 0;
  std::vector<int64_t> ctx_;
};

}  // namespace

void bind_function(py::module_& m) {
  py::class_<PyFunction>(m, "Function", py::dynamic_attr())
      .def(py::init([](std::vector<std::string> executors, std::string cache, bool dynamic, std::string partition, bool keep_traces) {
             keraunos::init();
             CompileOptions o;
             o.executors = std::move(executors);
             o.cache = cache == "symbolic values" ? CacheMode::SymbolicValues
                       : cache == "no caching"    ? CacheMode::NoCaching
                                                  : CacheMode::ConstantValues;
             o.shapes = dynamic ? ShapeMode::Symbolic : ShapeMode::Static;
             if (partition == "dataflow")
               o.partition = PartitionMode::Dataflow;
             else if (partition == "consecutive")
               o.partition = PartitionMode::Consecutive;
             o.keep_traces = keep_traces;
             return std::make_unique<PyFunction>(std::move(o));
           }),
           py::arg("executors") = std::vector<std::string>{}, py::arg("cache") = "constant values", py::arg("dynamic") = false,
           py::arg("partition") = "", py::arg("keep_traces") = true)
      .def("__call__", [](py::object self, py::args args, py::kwargs kwargs) { return self.cast<PyFunction&>().call(self, args, kwargs); })
      .def("_run_flat", [](py::object self, const py::list& leaves,
                           py::handle pending) { return self.cast<PyFunction&>().run_flat(self, leaves, pending); })
      .def("_set_layout", &PyFunction::set_layout)
      .def("_layout_current", &PyFunction::layout_current)
      .def("_cache_info", &PyFunction::cache_info)
      .def("_last_traces", &PyFunction::last_traces)
      .def("_placement", &PyFunction::placement)
      .def("_graph", &PyFunction::graph);
}

}  // namespace keraunos::python
