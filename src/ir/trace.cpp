// Bound symbols and traces.
#include "ir/trace.h"

#include <algorithm>

#include "support/error.h"

namespace keraunos {

std::string_view bsym_tag_name(BsymTag t) {
  switch (t) {
    case kBsymBackward:
      return "backward";
    case kBsymRecomputeInBackward:
      return "recompute_in_backward";
    case kBsymDontDce:
      return "dont_dce";
    default:
      return "?";
  }
}

std::optional<BsymTag> bsym_tag_from_name(std::string_view s) {
  for (BsymTag t : kAllBsymTags)
    if (bsym_tag_name(t) == s) return t;
  return std::nullopt;
}

std::vector<std::pair<std::string, Value>> BoundSymbol::kwargs() const {
  std::vector<std::pair<std::string, Value>> out;
  for (size_t i = 0; i < args.size() && i < sym->params.size(); ++i)
    if (sym->params[i].kw_only) out.emplace_back(sym->params[i].name, args[i]);
  return out;
}

const Value& BoundSymbol::arg(std::string_view name) const { return args.at(param_index(*sym, name)); }

std::vector<ProxyId> BoundSymbol::input_proxies() const {
  std::vector<ProxyId> out;
  for_each_input([&](ProxyId p) { out.push_back(p); });
  return out;
}

std::string Trace::fresh_name(char prefix) {
  int slot = prefix == 't' ? 0 : prefix == 'n' ? 1 : 2;
  for (;;) {
    std::string name = prefix + std::to_string(counters_[slot]++);
    if (by_name_.find(name) == by_name_.end()) return name;
  }
}

ProxyId Trace::new_proxy(ProxyType type, std::string name) {
  if (name.empty()) name = fresh_name(type.is_tensor ? 't' : 'n');
  KERAUNOS_CHECK(by_name_.find(name) == by_name_.end(), "name '", name, "' is already used in trace ", this->name);
  auto id = static_cast<ProxyId>(proxies_.size());
  by_name_.emplace(name, id);
  proxies_.push_back(Proxy{std::move(name), std::move(type)});
  return id;
}

ProxyId Trace::new_size_symbol(std::string name) {
  if (name.empty()) name = fresh_name('s');
  return new_proxy(ProxyType::of(NumberType{NumberKind::Int, {}, {}}), std::move(name));
}

std::optional<ProxyId> Trace::find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

std::vector<ProxyId> Trace::input_size_symbols() const {
  std::vector<ProxyId> out;
  for (ProxyId in : inputs) {
    const auto& ty = type(in);
    if (!ty.is_tensor) continue;
    for (const auto& d : ty.tensor.shape)
      if (d.is_symbolic() && std::find(out.begin(), out.end(), d.sym) == out.end()) out.push_back(d.sym);
  }
  return out;
}

void Trace::rollback(size_t checkpoint) {
  while (proxies_.size() > checkpoint) {
    by_name_.erase(proxies_.back().name);
    proxies_.pop_back();
  }
}

}  // namespace keraunos
