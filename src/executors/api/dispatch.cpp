// Dispatch (claim or decompose) and the execution pipeline.
#include "executors/api/dispatch.h"

#include <algorithm>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "executors/api/registry.h"
#include "ir/printer.h"
#include "passes/cse.h"
#include "passes/dce.h"

namespace keraunos {
namespace {

std::string first_line(const Trace& t, const BoundSymbol& b) { return print_bsym(t, b, 0, 0); }

// Records an operator executor's replacement of `b` and returns it, outputs renamed to b's.
std::vector<BoundSymbol> apply_transform(Trace& t, const OperatorExecutor& ex, const OperatorExecutor::Impl& impl, const BoundSymbol& b) {
  if (!impl.transform) {
    BoundSymbol nb;
    nb.sym = impl.op;
    nb.args = b.args;
    nb.outputs = b.outputs;
    nb.tags = b.tags;
    nb.line = b.line;
    KERAUNOS_CHECK(nb.sym->variadic || nb.args.size() == nb.sym->params.size(), ex.name(), ": ", nb.sym->id,
                   " does not take the arguments of ", b.sym->id, "; register a transform");
    return {std::move(nb)};
  }
  std::vector<BoundSymbol> recorded;
  Recorder r(t);
  std::vector<Value> outs;
  {
    Recorder::Scope scope(r, &recorded);
    outs = impl.transform(r, b);
  }
  KERAUNOS_CHECK(outs.size() == b.outputs.size(), ex.name(), ": the transform for ", b.sym->id, " returned ", outs.size(), " values for ",
                 b.outputs.size(), " outputs");
  std::unordered_map<ProxyId, ProxyId> rename;
  for (size_t i = 0; i < outs.size(); ++i) {
    KERAUNOS_CHECK(outs[i].is_proxy() && t.type(outs[i].as_proxy()) == t.type(b.outputs[i]), ex.name(), ": the transform for ", b.sym->id,
                   " must return values of the original output types");
    rename[outs[i].as_proxy()] = b.outputs[i];
  }
  auto m = [&](ProxyId p) {
    auto it = rename.find(p);
    return it == rename.end() ? p : it->second;
  };
  for (auto& nb : recorded) {
    nb.remap(m);
    nb.tags |= b.tags;
  }
  return recorded;
}

bool takes(const Executor* ex, const BoundSymbol& b, const Trace& t) {
  if (ex->is_fusion()) return static_cast<bool>(static_cast<const FusionExecutor*>(ex)->can_fuse(b, t));
  return static_cast<bool>(static_cast<const OperatorExecutor*>(ex)->can_execute(b, t));
}

// Whether every part of b's recorded decomposition is taken by one of `preferred` (a fusion region
// or a library call), directly or through its own decomposition.
bool decomposition_taken(const BoundSymbol& b, const Trace& t, const std::vector<const Executor*>& preferred) {
  if (b.subsymbols.empty()) return false;
  for (const auto& s : b.subsymbols) {
    bool taken = false;
    for (const Executor* ex : preferred)
      if ((taken = takes(ex, s, t))) break;
    if (!taken && !(!s.sym->is_prim && decomposition_taken(s, t, preferred))) return false;
  }
  return true;
}

}  // namespace

void dispatch(Trace& t, const std::vector<const Executor*>& executors, PlacementReport* report) {
  // The always-executors (ATen) run a torch-level op as one call of its own kernel, never slower
  // than eager. They yield it to its decomposition only when fusion or library executors take every
  // part of that decomposition.
  std::vector<const Executor*> fallbacks, preferred;
  for (const Executor* ex : executor_registry().always()) fallbacks.push_back(ex);
  for (const Executor* ex : executors)
    if (std::find(fallbacks.begin(), fallbacks.end(), ex) == fallbacks.end()) preferred.push_back(ex);
  auto is_fallback = [&](const Executor* ex) { return std::find(fallbacks.begin(), fallbacks.end(), ex) != fallbacks.end(); };
  std::deque<BoundSymbol> work;
  for (auto& b : t.bsyms) work.push_back(std::move(b));
  std::vector<BoundSymbol> out;
  out.reserve(work.size());
  while (!work.empty()) {
    BoundSymbol b = std::move(work.front());
    work.pop_front();
    if (b.sym->executor != nullptr) {  // already an executor's own symbol
      out.push_back(std::move(b));
      continue;
    }
    Placement pl{b.sym->id, report ? first_line(t, b) : std::string(), "", false, {}};
    bool claimed = false;
    for (const Executor* ex : executors) {
      if (ex->is_fusion()) {
        const auto* fex = static_cast<const FusionExecutor*>(ex);
        Decision d = fex->can_fuse(b, t);
        if (d) {
          b.fusion_claim = fex;
          pl.executor = ex->name();
          pl.fused = true;
          out.push_back(std::move(b));
          claimed = true;
          break;
        }
        pl.declined.emplace_back(ex->name(), d.reason);
        continue;
      }
      const auto* oex = static_cast<const OperatorExecutor*>(ex);
      Decision d = oex->can_execute(b, t);
      if (!d) {
        pl.declined.emplace_back(ex->name(), d.reason);
        continue;
      }
      if (!b.sym->is_prim && !preferred.empty() && is_fallback(ex) && decomposition_taken(b, t, preferred)) {
        pl.declined.emplace_back(ex->name(), "yields to its decomposition, which fusion or library executors take whole");
        continue;
      }
      auto replacement = apply_transform(t, *oex, *oex->impl(b.sym->id), b);
      pl.executor = ex->name();
      claimed = true;
      // Replacements that are not this executor's own symbols go through dispatch again.
      for (auto it = replacement.rbegin(); it != replacement.rend(); ++it) {
        if (it->sym->executor)
          out.push_back(std::move(*it));
        else
          work.push_front(std::move(*it));
      }
      break;
    }
    if (!claimed) {
      if (b.subsymbols.empty() && !b.sym->is_prim && b.sym->decomp) {
        Recorder r(t);
        b.subsymbols = r.decompose(b);
      }
      if (b.sym->is_prim || (b.subsymbols.empty() && !b.outputs.empty())) {
        std::string msg = str("no executor can run ", b.sym->id, " (`", first_line(t, b), "`):");
        for (const auto& [name, why] : pl.declined) msg += "\n  " + name + ": " + why;
        if (pl.declined.empty()) msg += "\n  (no executors were given)";
        throw DispatchError(msg);
      }
      pl.executor = "decomposed";
      for (auto it = b.subsymbols.rbegin(); it != b.subsymbols.rend(); ++it) {
        it->tags |= b.tags;
        work.push_front(std::move(*it));
      }
    }
    if (report) report->entries.push_back(std::move(pl));
  }
  t.bsyms = std::move(out);
}

void dispatch_leftovers(Trace& t) {
  bool any = false;
  for (const auto& b : t.bsyms) any |= b.sym->executor == nullptr;
  if (!any) return;
  std::vector<const Executor*> always;
  for (const Executor* e : executor_registry().always()) always.push_back(e);
  for (auto& b : t.bsyms) b.fusion_claim = nullptr;
  dispatch(t, always, nullptr);
}

void run_fusion_passes(Trace& t, const std::vector<const Executor*>& executors, PassContext& ctx) {
  for (const Executor* ex : executors)
    if (ex->is_fusion()) static_cast<const FusionExecutor*>(ex)->fusion_pass(t, ctx);
}

PassManager make_execution_pipeline(const std::vector<const Executor*>& executors, PlacementReport* report,
                                    std::optional<PartitionMode> partition) {
  PassManager pm;
  pm.add(Pass{"dce", [](Trace& t, PassContext& c) { dce(t, &c); }, ""});
  pm.add(Pass{"dispatch", [executors, report](Trace& t, PassContext&) { dispatch(t, executors, report); }, ""});
  pm.add(Pass{"fusion",
              [executors, partition](Trace& t, PassContext& c) {
                c.partition_override = partition;
                run_fusion_passes(t, executors, c);
              },
              ""});
  // Ops a fusion executor gave back (regions it could not schedule) go to the always-executors.
  pm.add(Pass{"leftovers", [](Trace& t, PassContext&) { dispatch_leftovers(t); }, ""});
  pm.add(Pass{"cse", [](Trace& t, PassContext& c) { cse(t, &c); }, ""});
  pm.add(Pass{"dce.final", [](Trace& t, PassContext& c) { dce(t, &c); }, ""});
  return pm;
}

void register_executor_passes() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_pass(Pass{"dispatch", [](Trace& t, PassContext&) { dispatch(t, executor_registry().resolve({})); },
                       "claim or decompose with the default executors"});
    register_pass(Pass{"fusion", [](Trace& t, PassContext& c) { run_fusion_passes(t, executor_registry().resolve({}), c); },
                       "every fusion executor's fusion pass"});
  });
}

}  // namespace keraunos
