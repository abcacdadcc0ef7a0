// A compiled function: plans keyed by the input signature, hashed in C++ and looked up in one step.
// A miss traces the function for the new signature, runs the execution pipeline and builds a plan.
#pragma once

#include <ATen/core/ivalue.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "executors/api/placement.h"
#include "ir/recorder.h"
#include "passes/partition.h"
#include "runtime/plan.h"

namespace keraunos {

// Numbers in the signature: by value (a new value compiles a new plan) or by type only.
enum class CacheMode { ConstantValues, SymbolicValues, NoCaching };
// Tensor sizes in the signature: exact, or a symbolic class (which dims are 1, which are equal to
// each other), so a new batch size reuses the plan.
enum class ShapeMode { Static, Symbolic };

struct CompileOptions {
  std::vector<std::string> executors;  // priority order; empty: the registry's defaults
  CacheMode cache = CacheMode::ConstantValues;
  ShapeMode shapes = ShapeMode::Static;
  std::optional<PartitionMode> partition;  // overrides the fusion executors' own mode
  bool keep_traces = true;                 // keep the trace after every pass (last_traces)
  std::vector<std::string> input_names;    // names for the trace's inputs (default x0, x1, ...)
};

// Records the program for one signature: gets the trace's input values, returns its outputs.
using TraceFn = std::function<std::vector<Value>(Recorder&, const std::vector<Value>& inputs)>;

struct CacheInfo {
  uint64_t hits = 0, misses = 0;
  size_t plans = 0;
  double trace_ms = 0, passes_ms = 0, plan_ms = 0;  // totals over all misses
  std::map<std::string, double> pass_ms;            // per pass, totals
};

struct CacheEntry {
  std::vector<int64_t> key;
  std::unique_ptr<ExecutionPlan> plan;
  std::vector<std::pair<std::string, Trace>> traces;  // "initial", then after each pass
  PlacementReport placement;
};

class CompiledFunction {
 public:
  CompiledFunction(TraceFn fn, CompileOptions opts);

  // Inputs: tensors and Python-like numbers (int, double, bool), in order. `context` (what besides
  // the inputs decides the program: the front end's default dtype, autocast state, module layout)
  // leads the signature.
  // `used`, when given, receives the entry that ran.
  std::vector<c10::IValue> operator()(const std::vector<c10::IValue>& inputs, const std::vector<int64_t>& context = {},
                                      const CacheEntry** used = nullptr);
  // The fast path for functions of tensors only.
  std::vector<at::Tensor> call_tensors(const std::vector<at::Tensor>& inputs, const std::vector<int64_t>& context = {});
  // The cached entry for these tensors, or null (compiles nothing; counts a hit when found).
  const CacheEntry* find(const std::vector<at::Tensor>& inputs, const std::vector<int64_t>& context);

  const CacheInfo& cache_info() const { return info_; }
  // The entry the last call used.
  const CacheEntry* last_entry() const { return last_; }
  const CompileOptions& options() const { return opts_; }

 private:
  template <typename Input>
  const CacheEntry* find_key(const std::vector<Input>& inputs, const std::vector<int64_t>& context, uint64_t* hash);
  template <typename Input>
  const CacheEntry& lookup(const std::vector<Input>& inputs, const std::vector<int64_t>& context);
  const CacheEntry& compile(std::vector<int64_t> key, uint64_t hash, const std::vector<c10::IValue>& inputs);

  TraceFn fn_;
  CompileOptions opts_;
  std::unordered_map<uint64_t, std::vector<std::unique_ptr<CacheEntry>>> cache_;
  CacheInfo info_;
  const CacheEntry* last_ = nullptr;
  std::vector<int64_t> scratch_key_;
};

}  // namespace keraunos
