// Records bound symbols into a trace: the way decompositions, the C++ API and the front ends
// build programs.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ir/trace.h"

namespace keraunos {

// The table built-in and user symbols live in. Filled by explicit calls (ops::register_builtins).
SymbolTable& global_symbols();

class Recorder {
 public:
  explicit Recorder(Trace& trace);

  Trace& trace() { return trace_; }
  const Trace& trace() const { return trace_; }

  // Binds the arguments, runs the meta (prims) or the decomposition (composites, recorded as
  // subsymbols), appends the bound symbol to the current scope and returns its outputs.
  std::vector<Value> call(const Symbol& sym, std::vector<Value> args, std::vector<std::pair<std::string, Value>> kwargs = {});
  // Same, for a symbol with exactly one output.
  Value call1(const Symbol& sym, std::vector<Value> args, std::vector<std::pair<std::string, Value>> kwargs = {});
  std::vector<Value> call(std::string_view id, std::vector<Value> args, std::vector<std::pair<std::string, Value>> kwargs = {});
  Value call1(std::string_view id, std::vector<Value> args, std::vector<std::pair<std::string, Value>> kwargs = {});

  // Records into `into` instead of the trace's top level until the returned scope ends.
  class Scope {
   public:
    Scope(Recorder& r, std::vector<BoundSymbol>* into) : r_(r) { r_.scopes_.push_back(into); }
    ~Scope() { r_.scopes_.pop_back(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Recorder& r_;
  };

  // Tags added to every bound symbol recorded while set (e.g. kBsymBackward).
  uint32_t default_tags = kBsymNone;

  // Runs a symbol's meta or decomposition without recording; returns the output types. The trace's
  // arena is rolled back afterwards. Used by the verifier.
  std::vector<ProxyType> infer(const Symbol& sym, const std::vector<Value>& bound_args);
  // Records the symbol without appending it anywhere; its proxies stay in the arena until the
  // caller rolls back to a checkpoint taken before.
  BoundSymbol record_scratch(const Symbol& sym, const std::vector<Value>& bound_args) { return make(sym, bound_args); }
  // The decomposition of a composite bound symbol, freshly recorded, its results renamed to b's
  // outputs (for bound symbols whose subsymbols were not kept, e.g. parsed without them).
  std::vector<BoundSymbol> decompose(const BoundSymbol& b);

 private:
  BoundSymbol make(const Symbol& sym, std::vector<Value> bound);
  Trace& trace_;
  std::vector<std::vector<BoundSymbol>*> scopes_;
};

}  // namespace keraunos
