// Dispatch (claim or decompose) and the execution pipeline built around it.
//
// Dispatch walks the trace; for each bound symbol it asks the executors in priority order: the first
// operator executor whose checker says yes takes it (through its execution transform, or by
// rebinding the call to its own symbol); the first fusion executor that can fuse it marks it for its
// fusion pass; if none claims it, it is replaced by its decomposition and the parts are tried. An
// unclaimed prim is an error that lists every executor's reason. Every decision goes into the
// placement report. This pass lives beside the executor interface (not in passes/) because it is
// the executors' protocol; passes/ stays free of executors.
#pragma once

#include <optional>
#include <vector>

#include "executors/api/executor.h"
#include "executors/api/placement.h"
#include "passes/pass_manager.h"

namespace keraunos {

class DispatchError : public Error {
 public:
  using Error::Error;
};

void dispatch(Trace& t, const std::vector<const Executor*>& executors, PlacementReport* report = nullptr);

// Dispatches what no executor owns after the fusion passes (ops a fusion executor gave back) to the
// always-executors.
void dispatch_leftovers(Trace& t);

// Runs every fusion executor's fusion pass, in priority order.
void run_fusion_passes(Trace& t, const std::vector<const Executor*>& executors, PassContext& ctx);

// The pipeline that turns an initial trace into an executable one:
//   dce, dispatch, fusion, leftovers, cse, dce
// `partition` overrides every fusion executor's own partition mode.
PassManager make_execution_pipeline(const std::vector<const Executor*>& executors, PlacementReport* report,
                                    std::optional<PartitionMode> partition = std::nullopt);

// Registers the "dispatch" and "fusion" passes (with the registry's default executors) for
// keraunos-opt and tests. Idempotent.
void register_executor_passes();

}  // namespace keraunos
