// Bound symbols and traces: the program representation every pass works on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ir/symbol.h"
#include "ir/value.h"

namespace keraunos {

// Tags on one bound symbol (as opposed to OpTag, a property of the symbol).
enum BsymTag : uint32_t {
  kBsymNone = 0,
  kBsymBackward = 1u << 0,
  kBsymRecomputeInBackward = 1u << 1,
  kBsymDontDce = 1u << 2,
};
std::string_view bsym_tag_name(BsymTag t);
std::optional<BsymTag> bsym_tag_from_name(std::string_view s);
constexpr BsymTag kAllBsymTags[] = {kBsymBackward, kBsymRecomputeInBackward, kBsymDontDce};

// A symbol applied to arguments. `args` holds one value per parameter of `sym` (keyword-only
// parameters are the kwargs); `subsymbols` is the decomposition, down to prims.
struct BoundSymbol {
  const Symbol* sym = nullptr;
  std::vector<Value> args;
  std::vector<ProxyId> outputs;
  std::vector<BoundSymbol> subsymbols;
  uint32_t tags = kBsymNone;
  int line = 0;  // line in the text it was parsed from; 0 when built in code
  // The fusion executor that claimed this bound symbol for its fusion pass (set by dispatch, cleared
  // by fusion). Operator executors claim by rewriting `sym` to one of their own symbols instead.
  const Executor* fusion_claim = nullptr;

  bool has_tag(BsymTag t) const { return (tags & t) != 0; }
  // Positional arguments and keyword arguments as the user would write them.
  std::vector<std::pair<std::string, Value>> kwargs() const;
  // The argument of the parameter called `name` (a lookup by name: for plan building, not per call).
  const Value& arg(std::string_view name) const;
  // Every proxy read by this bound symbol (arguments only, in order, with repeats).
  std::vector<ProxyId> input_proxies() const;
  template <typename F>
  void for_each_input(F&& f) const {
    for (const auto& a : args) a.for_each_proxy(f);
  }
  // Renames proxies in args, outputs and subsymbols, recursively.
  template <typename F>
  void remap(F&& f);
};

class Trace {
 public:
  std::string name = "computation";
  std::vector<ProxyId> inputs;
  std::vector<BoundSymbol> bsyms;
  std::vector<Value> outputs;
  int signature_line = 0;  // line of `def ...` in the text it was parsed from; 0 when built in code

  // Creates a proxy. `name` must be unused; an empty name gets a fresh one with the kind's prefix
  // (t for tensors, n for numbers, s for size symbols).
  ProxyId new_proxy(ProxyType type, std::string name = {});
  ProxyId new_tensor(TensorType t, std::string name = {}) { return new_proxy(ProxyType::of(std::move(t)), std::move(name)); }
  ProxyId new_number(NumberType n, std::string name = {}) { return new_proxy(ProxyType::of(n), std::move(name)); }
  ProxyId new_size_symbol(std::string name = {});

  const Proxy& proxy(ProxyId id) const { return proxies_[static_cast<size_t>(id)]; }
  const ProxyType& type(ProxyId id) const { return proxies_[static_cast<size_t>(id)].type; }
  const std::string& name_of(ProxyId id) const { return proxies_[static_cast<size_t>(id)].name; }
  std::optional<ProxyId> find(std::string_view name) const;
  size_t num_proxies() const { return proxies_.size(); }
  bool valid(ProxyId id) const { return id >= 0 && static_cast<size_t>(id) < proxies_.size(); }

  // Size symbols used by the inputs' shapes, in first-appearance order.
  std::vector<ProxyId> input_size_symbols() const;

  // Scratch recording (e.g. the verifier re-running a decomposition) rolls the arena back.
  size_t checkpoint() const { return proxies_.size(); }
  void rollback(size_t checkpoint);

 private:
  std::string fresh_name(char prefix);
  std::vector<Proxy> proxies_;
  std::unordered_map<std::string, ProxyId> by_name_;
  uint32_t counters_[3] = {0, 0, 0};
};

template <typename F>
void BoundSymbol::remap(F&& f) {
  for (auto& a : args) a = a.map_proxies(f);
  for (auto& o : outputs) o = f(o);
  for (auto& s : subsymbols) s.remap(f);
}

}  // namespace keraunos
