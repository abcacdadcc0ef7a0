// The fusion executors: C++ for CPU tensors, CUDA for CUDA tensors.
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
#ifdef KERAUNOS_CUDA_FUSER
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <cstring>
#include <map>

#include "jit/cuda_driver.h"
#include "jit/nvrtc.h"
#endif
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

// A gather from an empty dim has no element to read: raise before the kernel would.
[[noreturn]] void throw_index_error(const fuser::Fusion& region, const int64_t* S) {
  std::string what;
  for (const auto& n : region.nodes) {
    if (n.kind != fuser::Node::Kind::Gather) continue;
    const auto& src = region.nodes[static_cast<size_t>(n.in[0])];
    const int64_t dim = n.get<fuser::Axis>().dim;
    what += str(what.empty() ? "" : ", ", "prims.", ops::prim_name(n.prim), " along dim ", dim, " of size ",
                S[src.dims[static_cast<size_t>(dim)]]);
  }
  throw Error(str("keraunos: an index is out of range in a fused gather (", what,
                  "): every index must be in [0, size) of the gathered dim (a cross_entropy/nll_loss target must be a class "
                  "index or ignore_index). The region:\n",
                  region.text));
}

void check_gather_sources(const fuser::Fusion& region, const int64_t* S) {
  for (const auto& n : region.nodes) {
    if (n.kind != fuser::Node::Kind::Gather) continue;
    const auto& src = region.nodes[static_cast<size_t>(n.in[0])];
    int64_t numel = 1;
    for (int d : n.dims) numel *= S[d];
    if (numel > 0 && S[src.dims[static_cast<size_t>(n.get<fuser::Axis>().dim)]] == 0) throw_index_error(region, S);
  }
}

// Where a region's inputs, sizes and numbers come from in the plan's frame, and what its outputs are.
struct RegionSlots {
  struct SizeSrc {
    bool symbolic;
    int64_t value;  // the size, or the number slot holding it
  };
  RegionSlots(const BoundSymbol& b, const Trace& t, const SlotMap& slots, const fuser::Fusion& region) {
    for (ProxyId p : region.inputs) in.push_back(slots[p]);
    for (ProxyId p : region.scalars) scalars.push_back(slots[p]);
    for (const auto& a : b.args)
      if (a.is_proxy()) all_in.push_back({slots[a.as_proxy()], t.type(a.as_proxy()).is_tensor});
    for (ProxyId p : region.output_proxies) {
      out.push_back(slots[p]);
      out_dtypes.push_back(to_aten(t.type(p).tensor.dtype));
    }
    for (const Dim& d : region.sizes) sizes.push_back(d.is_symbolic() ? SizeSrc{true, slots[d.sym]} : SizeSrc{false, d.size});
    for (int o : region.outputs) out_dims.push_back(region.nodes[static_cast<size_t>(o)].dims);
  }
  // This call's sizes (S) and which inputs are contiguous.
  void read_sizes(const ExecFrame& f, int64_t* S) const {
    for (size_t k = 0; k < sizes.size(); ++k)
      S[k] = sizes[k].symbolic ? f.numbers[static_cast<size_t>(sizes[k].value)].toLong() : sizes[k].value;
  }
  ContiguityMask contiguity(const ExecFrame& f) const {
    ContiguityMask mask = 0;
    for (size_t i = 0; i < in.size(); ++i)
      if (f.tensors[static_cast<size_t>(in[i])].is_contiguous()) mask |= 1ULL << i;
    return mask;
  }
  std::vector<int64_t> out_shape(size_t o, const int64_t* S) const {
    std::vector<int64_t> shape;
    for (int k : out_dims[o]) shape.push_back(S[k]);
    return shape;
  }
  std::vector<int32_t> in, scalars, out;
  std::vector<std::pair<int32_t, bool>> all_in;
  std::vector<at::ScalarType> out_dtypes;
  std::vector<SizeSrc> sizes;
  std::vector<std::vector<int>> out_dims;
};

ContiguityMask all_contiguous(const fuser::Fusion& region) {
  return region.inputs.size() >= 64 ? ~0ULL : ((1ULL << region.inputs.size()) - 1);
}

// A kernel that failed to compile: its reproducer and a warning; the region then runs with ATen.
// Under KERAUNOS_STRICT=1 (the test suite's setting) it is an error instead: a fallback must not
// hide a code generation bug.
void report_compile_failure(const fuser::Fusion& region, const std::string& trace_text, const std::string& source,
                            const jit_compiler::CompileError& e) {
  std::string dir = write_reproducer(region, trace_text, source, std::string(e.what()) + "\n" + e.log());
  if (env_string("KERAUNOS_STRICT").value_or("") == "1")
    throw Error(str("keraunos: a fused kernel failed to compile (KERAUNOS_STRICT=1 makes this an error). Reproducer: ", dir, "\n", e.what(),
                    "\n", e.log()));
  std::cerr << "keraunos: warning: a fused kernel failed to compile; the region runs with ATen instead. Reproducer "
               "(trace, region, source, compiler command and output): "
            << dir << std::endl;
}

class FusedKernel final : public Kernel {
 public:
  FusedKernel(const BoundSymbol& b, const Trace& t, const SlotMap& slots, fuser::Fusion fusion, fuser::Schedule sched)
      : region_(std::move(fusion)), sched_(sched), io_(b, t, slots, region_) {
    trace_text_ = print_trace(t);
    jit_compiler::validate_host_compiler();  // a clear error now, rather than a crash or a failure per kernel
    // Start compiling the all-contiguous variant now: the plan builds every kernel before the first
    // run, so independent regions compile in parallel.
    pending_ = std::async(std::launch::async, [this] { return compile(all_contiguous(region_)); });
    // The fallback is built now, while the trace is alive (the plan outlives it).
    fallback_ = std::make_unique<AtenFallback>(b, t);
  }

  void run(ExecFrame& f) const override {
    if (pending_.valid()) {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_.valid()) variants_[all_contiguous(region_)] = pending_.get();
    }
    KernelFn fn = variant(io_.contiguity(f));
    if (fn == nullptr) {
      fallback_->run(f, io_.all_in, io_.out);
      return;
    }
    int64_t S[64];
    io_.read_sizes(f, S);
    std::vector<int64_t> ST;
    std::vector<char*> P;
    P.reserve(io_.in.size() + io_.out.size() + 1);
    for (int32_t s : io_.in) {
      const at::Tensor& x = f.tensors[static_cast<size_t>(s)];
      for (int64_t st : x.strides()) ST.push_back(st);
      P.push_back(static_cast<char*>(x.data_ptr()));
    }
    double SC[64];
    for (size_t k = 0; k < io_.scalars.size(); ++k) SC[k] = f.numbers[static_cast<size_t>(io_.scalars[k])].toDouble();
    std::vector<at::Tensor> outs;
    outs.reserve(io_.out.size());
    for (size_t o = 0; o < io_.out.size(); ++o) {
      // Large outputs come from the host pool (no page faults when a call's buffers come back).
      outs.push_back(host_empty(io_.out_shape(o, S), io_.out_dtypes[o]));
      P.push_back(static_cast<char*>(outs.back().data_ptr()));
    }
    if (region_.checks_indices) check_gather_sources(region_, S);
    int64_t status = 0;  // the kernel's status word: 1 = an index out of range, 2 = out of scratch memory
    P.push_back(reinterpret_cast<char*>(&status));
    fn(P.data(), S, ST.data(), SC);
    if (status == 1) throw_index_error(region_, S);
    if (status == 2) throw Error(str("keraunos: out of memory for a fused kernel's scratch buffers. The region:\n", region_.text));
    for (size_t o = 0; o < io_.out.size(); ++o) f.tensors[static_cast<size_t>(io_.out[o])] = std::move(outs[o]);
  }

 private:
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
      report_compile_failure(region_, trace_text_, source, e);
      return nullptr;
    }
  }

  fuser::Fusion region_;
  fuser::Schedule sched_;
  RegionSlots io_;
  std::string trace_text_;
  mutable std::mutex mu_;
  mutable std::unordered_map<ContiguityMask, KernelFn> variants_;
  mutable std::future<KernelFn> pending_;
  std::unique_ptr<AtenFallback> fallback_;
};

#ifdef KERAUNOS_CUDA_FUSER
// A region compiled to CUDA through NVRTC and launched on torch's current stream. Variants (input
// contiguity) are compiled on first use, per device. The status word lives on the device and is read
// back (a synchronization) only for regions that gather, whose indices the kernel checks.
class CudaFusedKernel final : public Kernel {
 public:
  CudaFusedKernel(const BoundSymbol& b, const Trace& t, const SlotMap& slots, fuser::Fusion fusion, fuser::Schedule sched)
      : region_(std::move(fusion)), sched_(sched), io_(b, t, slots, region_), counts_(fuser::cuda_arg_counts(region_)) {
    trace_text_ = print_trace(t);
    std::string why;
    KERAUNOS_CHECK(nvrtc::available(&why), "fuser_cuda: ", why);
    device_ = t.type(region_.output_proxies.at(0)).tensor.device.index;
    // The all-contiguous variant compiles now (NVRTC runs on the CPU): for this device where a driver
    // is present, else for Hopper, so a machine without a GPU still checks every kernel it plans.
    std::string arch = "sm_90a";
    try {
      if (cuda_driver::available()) arch = cuda_driver::arch(device_);
    } catch (const Error&) {
      // a driver without a device (the toolkit's stub library): compile for Hopper
    }
    const std::string source = cuda_source(all_contiguous(region_));
    try {
      nvrtc::compile(source, arch);
    } catch (const jit_compiler::CompileError& e) {
      report_compile_failure(region_, trace_text_, source, e);  // compile() reports it again on first use
    }
    fallback_ = std::make_unique<AtenFallback>(b, t);
  }

  void run(ExecFrame& f) const override {
    std::string why;
    KERAUNOS_CHECK(cuda_driver::available(&why), "fuser_cuda: ", why);
    int device = device_;
    for (int32_t s : io_.in) device = f.tensors[static_cast<size_t>(s)].get_device();
    c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device));
    cuda_driver::Function fn = variant(io_.contiguity(f), device);
    if (fn == nullptr) {
      fallback_->run(f, io_.all_in, io_.out);
      return;
    }
    int64_t S[64];
    io_.read_sizes(f, S);
    // Pointwise: a thread per element; rows: a block per row (the kept dims).
    int64_t n = 1;
    if (sched_.kind == fuser::Schedule::Kind::Pointwise)
      for (int d : sched_.iter_dims) n *= S[d];
    else
      for (int p : sched_.kept) n *= S[sched_.iter_dims[static_cast<size_t>(p)]];
    if (sched_.kind != fuser::Schedule::Kind::Pointwise) {
      // The run-time check: fewer rows than multiprocessors, each long (a whole-tensor sum), would
      // leave most of the card idle with a block per row; ATen's split reductions take those calls.
      int64_t row = 1;
      for (int p : sched_.reduced) row *= S[sched_.iter_dims[static_cast<size_t>(p)]];
      if (n < multiprocessors(device) && row >= 65536) {
        fallback_->run(f, io_.all_in, io_.out);
        return;
      }
    }
    // The kernel's one argument: P, S, ST, SC as 8-byte words, each array at least one long.
    std::vector<uint64_t> words(static_cast<size_t>(counts_.words()), 0);
    size_t p = 0, s = static_cast<size_t>(counts_.pointers), st = s + static_cast<size_t>(counts_.sizes),
           sc = st + static_cast<size_t>(counts_.strides);
    for (size_t k = 0; k < io_.sizes.size(); ++k) words[s + k] = static_cast<uint64_t>(S[k]);
    for (int32_t slot : io_.in) {
      const at::Tensor& x = f.tensors[static_cast<size_t>(slot)];
      KERAUNOS_CHECK(x.is_cuda() && x.get_device() == device, "fuser_cuda: an input is on ", x.device().str(),
                     ", the region on cuda:", device);
      for (int64_t v : x.strides()) words[st++] = static_cast<uint64_t>(v);
      words[p++] = reinterpret_cast<uint64_t>(x.data_ptr());
    }
    for (size_t k = 0; k < io_.scalars.size(); ++k) {
      const double v = f.numbers[static_cast<size_t>(io_.scalars[k])].toDouble();
      std::memcpy(&words[sc + k], &v, sizeof v);
    }
    const auto options = at::TensorOptions().device(at::kCUDA, static_cast<c10::DeviceIndex>(device));
    std::vector<at::Tensor> outs;
    static const bool poison = env_string("KERAUNOS_POISON_OUTPUTS").value_or("") == "1";
    for (size_t o = 0; o < io_.out.size(); ++o) {
      outs.push_back(at::empty(io_.out_shape(o, S), options.dtype(io_.out_dtypes[o])));
      // Tests fill outputs with 0xff bytes first (NaN, -1, an invalid bool): an element the kernel
      // does not write shows.
      if (poison && outs.back().numel() > 0)
        at::from_blob(outs.back().data_ptr(), {static_cast<int64_t>(outs.back().nbytes())}, options.dtype(at::kByte)).fill_(255);
      words[p++] = reinterpret_cast<uint64_t>(outs.back().data_ptr());
    }
    at::Tensor status;
    if (region_.checks_indices) {
      check_gather_sources(region_, S);
      status = at::zeros({1}, options.dtype(at::kLong));
      words[p] = reinterpret_cast<uint64_t>(status.data_ptr());
    }
    if (n > 0) {
      const int64_t blocks = sched_.kind == fuser::Schedule::Kind::Pointwise ? (n + fuser::kCudaBlock - 1) / fuser::kCudaBlock : n;
      // Enough blocks to fill every multiprocessor several times over; the grid-stride loop covers the rest.
      const int64_t cap = static_cast<int64_t>(multiprocessors(device)) * 32;
      void* params[] = {words.data()};
      cuda_driver::launch(fn, static_cast<unsigned>(std::min(blocks, cap)), fuser::kCudaBlock,
                          c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device)).stream(), params);
    }
    if (status.defined() && status.item<int64_t>() == 1) throw_index_error(region_, S);
    for (size_t o = 0; o < io_.out.size(); ++o) f.tensors[static_cast<size_t>(io_.out[o])] = std::move(outs[o]);
  }

 private:
  int multiprocessors(int device) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sms_by_device_.find(device);
    if (it == sms_by_device_.end()) it = sms_by_device_.emplace(device, cuda_driver::multiprocessor_count(device)).first;
    return it->second;
  }

  cuda_driver::Function variant(ContiguityMask mask, int device) const {
    std::lock_guard<std::mutex> lock(mu_);
    const auto key = std::make_pair(mask, device);
    auto it = variants_.find(key);
    if (it == variants_.end()) it = variants_.emplace(key, compile(mask, device)).first;
    return it->second;
  }

  // Compiles and loads one variant; on failure writes a reproducer, warns, and returns null (ATen
  // runs the region).
  std::string cuda_source(ContiguityMask mask) const {
    std::string source = fuser::generate_cuda(region_, sched_, mask);
    if (env_string("KERAUNOS_FUSER_INJECT_COMPILE_ERROR").value_or("") == "1")
      source += "\n#error injected by KERAUNOS_FUSER_INJECT_COMPILE_ERROR\n";
    return source;
  }

  cuda_driver::Function compile(ContiguityMask mask, int device) const {
    const std::string source = cuda_source(mask);
    try {
      const nvrtc::Binary b = nvrtc::compile(source, cuda_driver::arch(device));
      return cuda_driver::load(b.cubin, "keraunos_kernel");
    } catch (const jit_compiler::CompileError& e) {
      report_compile_failure(region_, trace_text_, source, e);
      return nullptr;
    }
  }

  fuser::Fusion region_;
  fuser::Schedule sched_;
  RegionSlots io_;
  fuser::CudaArgCounts counts_;
  std::string trace_text_;
  int device_ = 0;
  mutable std::mutex mu_;
  mutable std::map<std::pair<ContiguityMask, int>, cuda_driver::Function> variants_;
  mutable std::map<int, int> sms_by_device_;
  std::unique_ptr<AtenFallback> fallback_;
};
#endif

// The fusion executor for one kind of device: "fuser" (C++ with OpenMP, CPU tensors) and
// "fuser_cuda" (CUDA through NVRTC, CUDA tensors). Both build and schedule regions the same way.
class Fuser final : public FusionExecutor {
 public:
  explicit Fuser(Device::Kind kind) : FusionExecutor(kind == Device::Kind::CPU ? "fuser" : "fuser_cuda"), kind_(kind) {
    partition_mode = PartitionMode::Dataflow;
  }

  Decision can_fuse(const BoundSymbol& b, const Trace& t) const override {
    if (b.sym->is_prim) {
      for (ProxyId o : b.outputs)
        if (t.type(o).is_tensor && t.type(o).tensor.device.kind != kind_)
          return Decision::no(kind_ == Device::Kind::CPU ? "not on the CPU (fuser_cuda takes CUDA regions)"
                                                         : "not on a CUDA device (the CPU's is `fuser`)");
      return fuser::supports_prim(t, b);
    }
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
#ifdef KERAUNOS_CUDA_FUSER
    if (kind_ == Device::Kind::CUDA) return std::make_unique<CudaFusedKernel>(region, t, slots, std::move(built.fusion), sched.schedule);
#endif
    KERAUNOS_CHECK(kind_ == Device::Kind::CPU, "fuser_cuda: this build has no CUDA fuser");
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
    // A prim that starts no segment, and a segment that only moves data, go back to the operator
    // executors on their own; the segments around them stay fused.
    std::vector<BoundSymbol> segments;
    size_t fused = 0;
    auto give_back = [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        BoundSymbol b = *leaves[i];
        b.fusion_claim = nullptr;
        segments.push_back(std::move(b));
      }
    };
    for (size_t begin = 0; begin < leaves.size();) {
      size_t end = begin;
      while (end < leaves.size() && schedules(make(begin, end + 1))) ++end;
      if (end == begin) {
        give_back(begin, begin + 1);
        begin += 1;
        continue;
      }
      BoundSymbol g = make(begin, end);
      if (acceptable(t, g)) {
        segments.push_back(std::move(g));
        ++fused;
      } else {
        give_back(begin, end);
      }
      begin = end;
    }
    if (fused == 0) return {};
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
    if (sched.ok && kind_ == Device::Kind::CUDA && sched.schedule.kind == fuser::Schedule::Kind::OuterReduction)
      return Decision::no(str("the CUDA fuser has no kernel for reductions over leading dims yet (", sched.schedule.str(), ")"));
    return sched.ok;
  }

  Device::Kind kind_;
};

}  // namespace

#ifdef KERAUNOS_CUDA_FUSER
void register_cuda_fuser() {
  static std::once_flag once;
  // Not among the defaults until its kernels have been checked on a GPU: `executors=["fuser_cuda"]`.
  std::call_once(once, [] { executor_registry().add(std::make_shared<Fuser>(Device::Kind::CUDA)); });
}
#else
void register_cuda_fuser() {}
#endif

FusionExecutor& cpu_fuser() {
  static FusionExecutor* ex = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    auto owned = std::make_shared<Fuser>(Device::Kind::CPU);
    ex = owned.get();
    executor_registry().add(std::move(owned));
    if (env_string("KERAUNOS_DISABLE_FUSER").value_or("") != "1") executor_registry().add_default("fuser", 0);
  });
  return *ex;
}

}  // namespace keraunos
