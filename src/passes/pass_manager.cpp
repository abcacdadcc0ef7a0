// The pass pipeline.
#include "passes/pass_manager.h"

#include <chrono>
#include <iostream>
#include <map>
#include <mutex>

#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/cse.h"
#include "passes/dce.h"
#include "support/env.h"
#include "support/error.h"

namespace keraunos {

PipelineOptions PipelineOptions::from_env() {
  PipelineOptions o;
  o.dump = env_list("KERAUNOS_DUMP");
  if (auto s = env_string("KERAUNOS_STOP_AFTER"); s && !trim(*s).empty()) {
    std::string v = trim(*s);
    bool numeric = v.find_first_not_of("0123456789") == std::string::npos;
    if (numeric)
      o.stop_after_count = std::stoi(v);
    else
      o.stop_after_name = v;
  }
  if (auto v = env_string("KERAUNOS_VERIFY")) o.verify_each = *v != "0";
  return o;
}

namespace {

bool wants_dump(const PipelineOptions& o, const std::string& name) {
  for (const auto& d : o.dump)
    if (d == "all" || d == name) return true;
  return false;
}

}  // namespace

PipelineResult PassManager::run(Trace& trace, const PipelineOptions& opts) const {
  PipelineResult res;
  std::ostream& out = opts.dump_stream ? *opts.dump_stream : std::cerr;
  PassContext ctx;
  int n = 0;
  for (const auto& p : passes_) {
    if (opts.stop_after_count && n >= *opts.stop_after_count) {
      res.stopped_early = true;
      break;
    }
    auto t0 = std::chrono::steady_clock::now();
    p.run(trace, ctx);
    auto t1 = std::chrono::steady_clock::now();
    res.timings.push_back({p.name, std::chrono::duration<double, std::milli>(t1 - t0).count()});
    ++n;
    if (opts.verify_each) verify_or_throw(trace, "after pass '" + p.name + "'");
    if (wants_dump(opts, p.name)) out << "# after " << p.name << " (pass " << n << ")\n" << print_trace(trace) << std::flush;
    if (opts.keep_history) res.history.emplace_back(p.name, trace);
    if (opts.stop_after_name && *opts.stop_after_name == p.name) {
      res.stopped_early = n < static_cast<int>(passes_.size());
      break;
    }
  }
  res.notes = std::move(ctx.notes);
  return res;
}

namespace {

struct PassRegistry {
  std::mutex mu;
  std::map<std::string, Pass> passes;
  PassRegistry() {
    passes["dce"] = Pass{"dce", [](Trace& t, PassContext& c) { dce(t, &c); }, "dead-code elimination (keeps dont_dce)"};
    passes["cse"] = Pass{"cse", [](Trace& t, PassContext& c) { cse(t, &c); }, "common-subexpression elimination"};
    passes["verify"] = Pass{"verify", [](Trace& t, PassContext&) { verify_or_throw(t); }, "run the verifier"};
  }
};

PassRegistry& registry() {
  static PassRegistry r;
  return r;
}

}  // namespace

const Pass* find_pass(const std::string& name) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = r.passes.find(name);
  return it == r.passes.end() ? nullptr : &it->second;
}

void register_pass(Pass p) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::string name = p.name;
  r.passes[name] = std::move(p);
}

std::vector<std::string> registered_pass_names() {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::string> names;
  for (const auto& [k, v] : r.passes) names.push_back(k);
  return names;
}

PassManager make_pipeline(const std::vector<std::string>& names) {
  PassManager pm;
  for (const auto& n : names) {
    const Pass* p = find_pass(n);
    if (!p) {
      std::string known;
      for (const auto& k : registered_pass_names()) known += (known.empty() ? "" : ", ") + k;
      throw Error(str("unknown pass '", n, "' (known passes: ", known, ")"));
    }
    pm.add(*p);
  }
  return pm;
}

}  // namespace keraunos
