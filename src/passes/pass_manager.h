// The pass pipeline: one ordered list of named passes, timed, verified after each pass in debug
// builds, dumped on request (KERAUNOS_DUMP=<pass,...|all>) and stoppable for bisecting
// (KERAUNOS_STOP_AFTER=<n|pass>).
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ir/trace.h"
#include "passes/partition.h"

namespace keraunos {

struct PassContext {
  // Free-form notes passes leave for reports (e.g. "cse: merged 3 bound symbols").
  std::vector<std::string> notes;
  // Set by the compile options: overrides every fusion executor's partition mode.
  std::optional<PartitionMode> partition_override;
};

using PassFn = std::function<void(Trace&, PassContext&)>;

struct Pass {
  std::string name;
  PassFn run;
  std::string description;
};

struct PipelineOptions {
  std::vector<std::string> dump;        // pass names, or "all"
  std::optional<int> stop_after_count;  // run at most this many passes
  std::optional<std::string> stop_after_name;
  bool verify_each = kVerifyEachDefault;  // run the verifier after every pass
  bool keep_history = false;              // snapshot the trace after every pass
  std::ostream* dump_stream = nullptr;    // defaults to std::cerr

#if defined(KERAUNOS_VERIFY_EACH_PASS)
  static constexpr bool kVerifyEachDefault = true;
#else
  static constexpr bool kVerifyEachDefault = false;
#endif
  // Reads KERAUNOS_DUMP, KERAUNOS_STOP_AFTER and KERAUNOS_VERIFY (1/0).
  static PipelineOptions from_env();
};

struct PassTiming {
  std::string name;
  double ms = 0;
};

struct PipelineResult {
  std::vector<PassTiming> timings;
  std::vector<std::pair<std::string, Trace>> history;  // when keep_history
  bool stopped_early = false;
  std::vector<std::string> notes;
};

class PassManager {
 public:
  PassManager() = default;
  explicit PassManager(std::vector<Pass> passes) : passes_(std::move(passes)) {}
  void add(Pass p) { passes_.push_back(std::move(p)); }
  const std::vector<Pass>& passes() const { return passes_; }

  PipelineResult run(Trace& trace, const PipelineOptions& opts) const;

 private:
  std::vector<Pass> passes_;
};

// Named passes, for keraunos-opt and tests. Built-ins: dce, cse, verify.
const Pass* find_pass(const std::string& name);
void register_pass(Pass p);
std::vector<std::string> registered_pass_names();
// Builds a pipeline from a comma-separated list; throws naming an unknown pass and the known ones.
PassManager make_pipeline(const std::vector<std::string>& names);

}  // namespace keraunos
