// The CPU fusion executor.
#include "executors/fuser/fuser_executor.h"

#include <ATen/ATen.h>

#include <fstream>
#include <future>
#include <iostream>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "executors/api/dispatch.h"
#include "executors/api/registry.h"
#include "executors/fuser/fusion.h"
#include "ir/printer.h"
#include "jit/host_compiler.h"
#include "passes/pass_manager.h"
#include "runtime/aten_types.h"
#include "runtime/frame.h"
#include "runtime/host_allocator.h"
#include "support/env.h"
#include "support/hash.h"

namespace keraunos {
namespace {

using KernelFn = void (*)(char**, const int64_t*, const int64_t*, const double*);
using fuser::ContiguityMask;

void collect_leaves(const BoundSymbol& b, std::vector<const BoundSymbol*>& out) {
  if (b.sym->is_prim || b.subsymbols.empty()) {
    out.push_back(&b);
    return;
  }
  for (const auto& s : b.subsymbols) collect_leaves(s, out);
}

// A kernel for one prim from the always-executors (ATen), through the executor interface.
std::unique_ptr<Kernel> always_executor_kernel(const BoundSymbol& b, const Trace& t, const SlotMap& slots) {
  for (Executor* e : executor_registry().always()) {
    if (e->is_fusion()) continue;
    const auto* oex = static_cast<const OperatorExecutor*>(e);
    const auto* impl = oex->impl(b.sym->id);
    if (!impl || !impl->op || !oex->can_execute(b, t)) continue;
    BoundSymbol copy = b;
    copy.sym = impl->op;
    copy.subsymbols.clear();
    return oex->make_kernel(copy, t, slots);
  }
  throw Error(str("fuser fallback: no always-executor runs ", b.sym->id));
}

// Runs a region's prims one by one with the always-executors: the fallback when its kernel cannot be
// compiled.
class AtenFallback {
 public:
  AtenFallback(const BoundSymbol& region, const Trace& t) {
    std::vector<const BoundSymbol*> leaves;
    for (const auto& s : region.subsymbols) collect_leaves(s, leaves);
    slots_.slot_of.assign(t.num_proxies(), -1);
    auto slot = [&](ProxyId p) {
      auto& s = slots_.slot_of[static_cast<size_t>(p)];
      if (s < 0) s = static_cast<int32_t>(t.type(p).is_tensor ? n_tensors_++ : n_numbers_++);
      return s;
    };
    for (const auto& a : region.args)
      if (a.is_proxy()) inputs_.push_back({slot(a.as_proxy()), t.type(a.as_proxy()).is_tensor});
    for (const BoundSymbol* b : leaves) {
      for (ProxyId o : b->outputs) slot(o);
      kernels_.push_back(always_executor_kernel(*b, t, slots_));
    }
    for (ProxyId o : region.outputs) outputs_.push_back(slot(o));
  }

  // in/out: the outer frame's slots for the region's inputs and outputs.
  void run(ExecFrame& outer, const std::vector<std::pair<int32_t, bool>>& in, const std::vector<int32_t>& out) const {
    ExecFrame f;
    f.tensors.resize(n_tensors_);
    f.numbers.resize(n_numbers_);
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i].second)
        f.tensors[static_cast<size_t>(inputs_[i].first)] = outer.tensors[static_cast<size_t>(in[i].first)];
      else
        f.numbers[static_cast<size_t>(inputs_[i].first)] = outer.numbers[static_cast<size_t>(in[i].first)];
    }
    for (const auto& k : kernels_) k->run(f);
    for (size_t i = 0; i < out.size(); ++i) outer.tensors[static_cast<size_t>(out[i])] = f.tensors[static_cast<size_t>(outputs_[i])];
  }

 private:
  SlotMap slots_;
  size_t n_tensors_ = 0, n_numbers_ = 0;
  std::vector<std::pair<int32_t, bool>> inputs_;
  std::vector<int32_t> outputs_;
  std::vector<std::unique_ptr<Kernel>> kernels_;
};

std::string write_reproducer(const fuser::Fusion& r, const std::string& trace_text, const std::string& source, const std::string& log) {
  std::string dir = jit_compiler::cache_dir() + "/reproducers/" + std::to_string(hash_string(source) & 0xffffffffffULL);
  std::string cmd = "mkdir -p '" + dir + "'";
  if (std::system(cmd.c_str()) != 0) return "(could not create " + dir + ")";
  std::ofstream(dir + "/region.txt") << "# the region\n" << r.text << "\n";
  std::ofstream(dir + "/trace.txt") << trace_text;
  std::ofstream(dir + "/kernel.cpp") << source;
  std::ofstream(dir + "/compile.txt") << log;
  return dir;
}

class FusedKernel final : public Kernel {
 public:
  FusedKernel(const BoundSymbol& b, const Trace& t, const SlotMap& slots, fuser::Fusion fusion, fuser::Schedule sched)
      : region_(std::move(fusion)), sched_(sched) {
    for (ProxyId p : region_.inputs) in_slots_.push_back(slots[p]);
    for (ProxyId p : region_.scalars) scalar_slots_.push_back(slots[p]);
    for (const auto& a : b.args)
      if (a.is_proxy()) all_in_.push_back({slots[a.as_proxy()], t.type(a.as_proxy()).is_tensor});
    for (ProxyId p : region_.output_proxies) {
      out_slots_.push_back(slots[p]);
      out_dtypes_.push_back(to_aten(t.type(p).tensor.dtype));
    }
    for (const Dim& d : region_.sizes) size_src_.push_back(d.is_symbolic() ? SizeSrc{true, slots[d.sym]} : SizeSrc{false, d.size});
    for (int o : region_.outputs) out_dims_.push_back(region_.nodes[static_cast<size_t>(o)].dims);
    trace_text_ = print_trace(t);
    jit_compiler::validate_host_compiler();  // a clear error now, rather than a crash or a failure per kernel
    // Start compiling the all-contiguous variant now: the plan builds every kernel before the first
    // run, so independent regions compile in parallel.
    ContiguityMask all = region_.inputs.size() >= 64 ? ~0ULL : ((1ULL << region_.inputs.size()) - 1);
    pending_ = std::async(std::launch::async, [this, all] { return compile(all); });
    // The fallback is built now, while the trace is alive (the plan outlives it).
    fallback_ = std::make_unique<AtenFallback>(b, t);
  }

  void run(ExecFrame& f) const override {
    if (pending_.valid()) {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_.valid()) {
        ContiguityMask all = region_.inputs.size() >= 64 ? ~0ULL : ((1ULL << region_.inputs.size()) - 1);
        variants_[all] = pending_.get();
      }
    }
    ContiguityMask mask = 0;
    for (size_t i = 0; i < in_slots_.size(); ++i)
      if (f.tensors[static_cast<size_t>(in_slots_[i])].is_contiguous()) mask |= 1ULL << i;
    KernelFn fn = variant(mask);
    if (fn == nullptr) {
      fallback_->run(f, all_in_, out_slots_);
      return;
    }
    int64_t S[64];
    for (size_t k = 0; k < size_src_.size(); ++k)
      S[k] = size_src_[k].symbolic ? f.numbers[static_cast<size_t>(size_src_[k].value)].toLong() : size_src_[k].value;
    std::vector<int64_t> ST;
    std::vector<char*> P;
    P.reserve(in_slots_.size() + out_slots_.size());
    for (int32_t s : in_slots_) {
      const at::Tensor& x = f.tensors[static_cast<size_t>(s)];
      for (int64_t st : x.strides()) ST.push_back(st);
      P.push_back(static_cast<char*>(x.data_ptr()));
    }
    double SC[64];
    for (size_t k = 0; k < scalar_slots_.size(); ++k) SC[k] = f.numbers[static_cast<size_t>(scalar_slots_[k])].toDouble();
    std::vector<at::Tensor> outs;
    outs.reserve(out_slots_.size());
    for (size_t o = 0; o < out_slots_.size(); ++o) {
      std::vector<int64_t> shape;
      for (int k : out_dims_[o]) shape.push_back(S[k]);
      // Large outputs come from the host pool (no page faults when a call's buffers come back).
      outs.push_back(host_empty(shape, out_dtypes_[o]));
      P.push_back(static_cast<char*>(outs.back().data_ptr()));
    }
    if (region_.checks_indices) check_gather_sources(S);
    int64_t status = 0;  // the kernel's status word: 1 = an index out of range, 2 = out of scratch memory
    P.push_back(reinterpret_cast<char*>(&status));
    fn(P.data(), S, ST.data(), SC);
    if (status == 1) throw_index_error(S);
    if (status == 2) throw Error(str("keraunos: out of memory for a fused kernel's scratch buffers. The region:\n", region_.text));
    for (size_t o = 0; o < out_slots_.size(); ++o) f.tensors[static_cast<size_t>(out_slots_[o])] = std::move(outs[o]);
  }

 private:
  struct SizeSrc {
    bool symbolic;
    int64_t value;  // the size, or the number slot holding it
  };

  // A gather from an empty dim has no element to read: raise before the kernel would.
  void check_gather_sources(const int64_t* S) const {
    for (const auto& n : region_.nodes) {
      if (n.kind != fuser::Node::Kind::Gather) continue;
      const auto& src = region_.nodes[static_cast<size_t>(n.in[0])];
      int64_t numel = 1;
      for (int d : n.dims) numel *= S[d];
      if (numel > 0 && S[src.dims[static_cast<size_t>(n.get<fuser::Axis>().dim)]] == 0) throw_index_error(S);
    }
  }

  [[noreturn]] void throw_index_error(const int64_t* S) const {
    std::string what;
    for (const auto& n : region_.nodes) {
      if (n.kind != fuser::Node::Kind::Gather) continue;
      const auto& src = region_.nodes[static_cast<size_t>(n.in[0])];
      const int64_t dim = n.get<fuser::Axis>().dim;
      what += str(what.empty() ? "" : ", ", "prims.", ops::prim_name(n.prim), " along dim ", dim, " of size ",
                  S[src.dims[static_cast<size_t>(dim)]]);
    }
    throw Error(str("keraunos: an index is out of range in a fused gather (", what,
                    "): every index must be in [0, size) of the gathered dim (a cross_entropy/nll_loss target must be a class "
                    "index or ignore_index). The region:\n",
                    region_.text));
  }

  KernelFn variant(ContiguityMask mask) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = variants_.find(mask);
    if (it == variants_.end()) it = variants_.emplace(mask, compile(mask)).first;
    return it->second;
  }

  // Compiles one variant; on failure writes a reproducer, warns, and returns null (ATen runs it).
  KernelFn compile(ContiguityMask mask) const {
    std::string source = fuser::generate_cpp(region_, sched_, mask);
    if (env_string("KERAUNOS_FUSER_INJECT_COMPILE_ERROR").value_or("") == "1")
      source += "\n#error injected by KERAUNOS_FUSER_INJECT_COMPILE_ERROR\n";
    try {
      return reinterpret_cast<KernelFn>(jit_compiler::compile_and_load(source, "keraunos_kernel").symbol);
    } catch (const jit_compiler::CompileError& e) {
      std::string dir = write_reproducer(region_, trace_text_, source, e.log());
      std::cerr << "keraunos: warning: a fused kernel failed to compile; the region runs with ATen instead. Reproducer "
                   "(trace, region, source, compiler command and output): "
                << dir << std::endl;
      return nullptr;
    }
  }

  fuser::Fusion region_;
  fuser::Schedule sched_;
  std::vector<int32_t> in_slots_, scalar_slots_, out_slots_;
  std::vector<std::pair<int32_t, bool>> all_in_;
  std::vector<at::ScalarType> out_dtypes_;
  std::vector<SizeSrc> size_src_;
  std::vector<std::vector<int>> out_dims_;
  std::string trace_text_;
  mutable std::mutex mu_;
  mutable std::unordered_map<ContiguityMask, KernelFn> variants_;
  mutable std::future<KernelFn> pending_;
  std::unique_ptr<AtenFallback> fallback_;
};

class CpuFuser final : public FusionExecutor {
 public:
  CpuFuser() : FusionExecutor("fuser") { partition_mode = PartitionMode::Dataflow; }

  Decision can_fuse(const BoundSymbol& b, const Trace& t) const override {
    if (b.sym->is_prim) return fuser::supports_prim(t, b);
    if (b.subsymbols.empty()) return Decision::no("a composite without its decomposition");
    for (const auto& s : b.subsymbols) {
      Decision d = can_fuse(s, t);
      if (!d) return Decision::no(str("its decomposition holds ", s.sym->id, " (", d.reason, ")"));
    }
    return Decision::yes();
  }

  void fusion_pass(Trace& t, PassContext& ctx) const override {
    FusionExecutor::fusion_pass(t, ctx);
    // Regions the scheduler cannot handle, or made only of data movement (ATen makes those views
    // for free), go back to the operator executors.
    std::vector<BoundSymbol> out;
    for (auto& b : t.bsyms) {
      if (b.sym != region_symbol()) {
        out.push_back(std::move(b));
        continue;
      }
      Decision d = acceptable(t, b);
      if (d) {
        out.push_back(std::move(b));
        continue;
      }
      if (auto segments = segment(t, b); !segments.empty()) {
        ctx.notes.push_back(str("fuser: cut a region of ", b.subsymbols.size(), " op(s) into ", segments.size(), " (", d.reason, ")"));
        for (auto& g : segments) out.push_back(std::move(g));
        continue;
      }
      ctx.notes.push_back(str("fuser: gave back a region of ", b.subsymbols.size(), " op(s): ", d.reason));
      for (auto& s : b.subsymbols) out.push_back(std::move(s));
    }
    t.bsyms = std::move(out);
    // The ops given back are dispatched by the execution pipeline's `leftovers` pass.
  }

  std::unique_ptr<Kernel> compile(const BoundSymbol& region, const Trace& t, const SlotMap& slots) const override {
    auto built = fuser::build_fusion(t, region);
    KERAUNOS_CHECK(built.ok, "fuser: ", built.ok.reason);
    auto sched = fuser::schedule_fusion(built.fusion);
    KERAUNOS_CHECK(sched.ok, "fuser: ", sched.ok.reason);
    return std::make_unique<FusedKernel>(region, t, slots, std::move(built.fusion), sched.schedule);
  }

 private:
  // A region the scheduler cannot take whole (a row-wise normalization followed by a reduction over
  // the rows' results, like cross_entropy's mean) is cut into consecutive segments of its prims, each
  // the longest run from where the previous ended that schedules and computes something. Empty when
  // some prim fits in no segment: the region's ops then go back whole to the operator executors.
  std::vector<BoundSymbol> segment(const Trace& t, const BoundSymbol& region) const {
    std::vector<const BoundSymbol*> leaves;
    for (const auto& s : region.subsymbols) collect_leaves(s, leaves);
    std::unordered_set<ProxyId> external(region.outputs.begin(), region.outputs.end());
    auto make = [&](size_t begin, size_t end) {
      BoundSymbol g;
      g.sym = region_symbol();
      g.tags = region.tags;
      std::unordered_set<ProxyId> inside, seen;
      for (size_t i = begin; i < end; ++i) {
        leaves[i]->for_each_input([&](ProxyId p) {
          if (!inside.count(p) && seen.insert(p).second) g.args.push_back(Value::proxy(p));
        });
        for (ProxyId o : leaves[i]->outputs) inside.insert(o);
        BoundSymbol m = *leaves[i];
        m.fusion_claim = nullptr;
        g.subsymbols.push_back(std::move(m));
      }
      std::unordered_set<ProxyId> later;
      for (size_t i = end; i < leaves.size(); ++i) leaves[i]->for_each_input([&](ProxyId p) { later.insert(p); });
      for (size_t i = begin; i < end; ++i)
        for (ProxyId o : leaves[i]->outputs)
          if (external.count(o) || later.count(o)) g.outputs.push_back(o);
      return g;
    };
    auto schedules = [&](const BoundSymbol& g) {
      auto built = fuser::build_fusion(t, g);
      return built.ok && fuser::schedule_fusion(built.fusion).ok;
    };
    std::vector<BoundSymbol> segments;
    for (size_t begin = 0; begin < leaves.size();) {
      size_t end = begin;
      while (end < leaves.size() && schedules(make(begin, end + 1))) ++end;
      if (end == begin) return {};
      BoundSymbol g = make(begin, end);
      if (!acceptable(t, g)) return {};
      segments.push_back(std::move(g));
      begin = end;
    }
    return segments;
  }

  Decision acceptable(const Trace& t, const BoundSymbol& region) const {
    auto built = fuser::build_fusion(t, region);
    if (!built.ok) return built.ok;
    bool computes = false;
    const auto& nodes = built.fusion.nodes;
    for (const auto& n : nodes)
      computes |= n.kind == fuser::Node::Kind::Elementwise || n.kind == fuser::Node::Kind::Reduce ||
                  (n.kind == fuser::Node::Kind::Convert && nodes[static_cast<size_t>(n.in[0])].dtype != n.dtype);
    if (!computes) return Decision::no("only data movement");
    if (built.fusion.sizes.size() > 64 || built.fusion.inputs.size() > 60 || built.fusion.scalars.size() > 64)
      return Decision::no("too many inputs or sizes");
    auto sched = fuser::schedule_fusion(built.fusion);
    return sched.ok;
  }
};

}  // namespace

FusionExecutor& cpu_fuser() {
  static FusionExecutor* ex = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    auto owned = std::make_shared<CpuFuser>();
    ex = owned.get();
    executor_registry().add(std::move(owned));
    if (env_string("KERAUNOS_DISABLE_FUSER").value_or("") != "1") executor_registry().add_default("fuser", 0);
  });
  return *ex;
}

}  // namespace keraunos
