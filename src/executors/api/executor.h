// The executor interface: operator executors claim symbols one by one (checker, execution
// transform, kernel, grad-transform slot); fusion executors claim whole regions. No ATen here.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ir/recorder.h"
#include "ir/trace.h"
#include "passes/partition.h"
#include "support/error.h"

namespace keraunos {

class ExecFrame;  // the runtime's per-call state (runtime/frame.h); kernels read and write its slots
struct PassContext;

// A compiled call: reads its inputs from the frame and writes its outputs.
class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual void run(ExecFrame& frame) const = 0;
};

// Where the runtime keeps each value: a slot per proxy (-1 for values that are never materialized).
struct SlotMap {
  std::vector<int32_t> slot_of;
  int32_t operator[](ProxyId p) const { return slot_of[static_cast<size_t>(p)]; }
};

// Says whether an executor takes a bound symbol, and why not.
using Checker = std::function<Decision(const BoundSymbol&, const Trace&)>;
// Records this executor's replacement for a bound symbol; returns values standing for its outputs.
using ExecutionTransform = std::function<std::vector<Value>(Recorder&, const BoundSymbol&)>;
// A joint forward+backward rule at the level of the kernel (used by autodiff), so a fused op keeps a
// fused backward. It records the forward through the recorder and returns its outputs.
using GradTransform = std::function<std::vector<Value>(Recorder&, const BoundSymbol&)>;
// Builds the kernel for one bound symbol of one of the executor's own symbols.
using KernelFactory = std::function<std::unique_ptr<Kernel>(const BoundSymbol&, const Trace&, const SlotMap&)>;

class Executor {
 public:
  explicit Executor(std::string name) : name_(std::move(name)) {}
  virtual ~Executor() = default;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  const std::string& name() const { return name_; }
  virtual bool is_fusion() const { return false; }
  // The kernel for a bound symbol whose symbol this executor owns (sym->executor == this).
  virtual std::unique_ptr<Kernel> make_kernel(const BoundSymbol& b, const Trace& t, const SlotMap& slots) const = 0;

 private:
  std::string name_;
};

class OperatorExecutor : public Executor {
 public:
  using Executor::Executor;

  struct Impl {
    Checker checker;               // empty: always yes
    ExecutionTransform transform;  // empty: rebind the call to `op`
    const Symbol* op = nullptr;
    GradTransform grad;
  };

  // Registers this executor's own symbol "<executor>.<name>", a leaf that runs `kernel`. `like` lends
  // its parameters and its meta (for a composite, the result types of its decomposition).
  const Symbol* register_operator(std::string name, const Symbol& like, KernelFactory kernel, SymbolTable& table = global_symbols());
  const Symbol* register_operator(std::string name, std::vector<Param> params, MetaFn meta, KernelFactory kernel, uint32_t tags = kTagNone,
                                  SymbolTable& table = global_symbols());
  // Claims `symbol_id`: when the checker says yes, dispatch runs the transform (or rebinds to `op`).
  void register_implementation(std::string_view symbol_id, const Symbol* op, Checker checker = {}, ExecutionTransform transform = {},
                               GradTransform grad = {});

  // Records why this executor leaves `symbol_id` to its decomposition (the placement report shows it
  // instead of "does not implement").
  void register_decline(std::string_view symbol_id, std::string reason);

  const Impl* impl(std::string_view symbol_id) const;
  // No impl: "does not implement <id>"; otherwise the checker's decision.
  Decision can_execute(const BoundSymbol& b, const Trace& t) const;
  std::vector<std::string> claimed_ids() const;

  std::unique_ptr<Kernel> make_kernel(const BoundSymbol& b, const Trace& t, const SlotMap& slots) const override;

 private:
  std::unordered_map<std::string, Impl> impls_;
  std::unordered_map<std::string, std::string> declines_;
  std::unordered_map<const Symbol*, KernelFactory> kernels_;
};

class FusionExecutor : public Executor {
 public:
  FusionExecutor(std::string name, SymbolTable& table = global_symbols());
  bool is_fusion() const override { return true; }

  virtual Decision can_fuse(const BoundSymbol& b, const Trace& t) const = 0;
  // Partitions the bound symbols this executor claimed and replaces each region by one bound symbol
  // of region_symbol(), the region's members as its subsymbols.
  virtual void fusion_pass(Trace& t, PassContext& ctx) const;
  // Compiles a region bound symbol into a kernel.
  virtual std::unique_ptr<Kernel> compile(const BoundSymbol& region, const Trace& t, const SlotMap& slots) const = 0;
  std::unique_ptr<Kernel> make_kernel(const BoundSymbol& b, const Trace& t, const SlotMap& slots) const override {
    return compile(b, t, slots);
  }

  const Symbol* region_symbol() const { return region_; }
  PartitionMode partition_mode = PartitionMode::Dataflow;

 private:
  const Symbol* region_;
};

}  // namespace keraunos
