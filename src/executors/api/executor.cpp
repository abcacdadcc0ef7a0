// The executor interface.
#include "executors/api/executor.h"

#include "passes/partition.h"
#include "passes/pass_manager.h"

namespace keraunos {

const Symbol* OperatorExecutor::register_operator(std::string name, const Symbol& like, KernelFactory kernel, SymbolTable& table) {
  MetaFn meta;
  if (like.is_prim) {
    meta = like.meta;
  } else {
    const Symbol* orig = &like;
    // A composite's result types are those of its decomposition.
    meta = [orig](const MetaArgs& m) {
      Trace& t = const_cast<Trace&>(m.trace());
      Recorder r(t);
      return r.infer(*orig, m.args());
    };
  }
  return register_operator(std::move(name), like.params, std::move(meta), std::move(kernel), like.tags & ~kTagDontDce, table);
}

const Symbol* OperatorExecutor::register_operator(std::string name, std::vector<Param> params, MetaFn meta, KernelFactory kernel,
                                                  uint32_t tags, SymbolTable& table) {
  Symbol s;
  s.id = this->name() + "." + name;
  s.params = std::move(params);
  s.is_prim = true;
  s.meta = std::move(meta);
  s.tags = tags;
  s.executor = this;
  const Symbol* sym = table.add(std::move(s));
  kernels_[sym] = std::move(kernel);
  return sym;
}

void OperatorExecutor::register_implementation(std::string_view symbol_id, const Symbol* op, Checker checker, ExecutionTransform transform,
                                               GradTransform grad) {
  KERAUNOS_CHECK(op != nullptr || transform, name(), ": an implementation of ", symbol_id, " needs an op or a transform");
  impls_[std::string(symbol_id)] = Impl{std::move(checker), std::move(transform), op, std::move(grad)};
}

const OperatorExecutor::Impl* OperatorExecutor::impl(std::string_view symbol_id) const {
  auto it = impls_.find(std::string(symbol_id));
  return it == impls_.end() ? nullptr : &it->second;
}

Decision OperatorExecutor::can_execute(const BoundSymbol& b, const Trace& t) const {
  const Impl* i = impl(b.sym->id);
  if (!i) {
    auto d = declines_.find(b.sym->id);
    return Decision::no(d == declines_.end() ? "does not implement " + b.sym->id : d->second);
  }
  if (!i->checker) return Decision::yes();
  return i->checker(b, t);
}

void OperatorExecutor::register_decline(std::string_view symbol_id, std::string reason) {
  declines_[std::string(symbol_id)] = std::move(reason);
}

std::vector<std::string> OperatorExecutor::claimed_ids() const {
  std::vector<std::string> ids;
  for (const auto& [k, v] : impls_) ids.push_back(k);
  return ids;
}

std::unique_ptr<Kernel> OperatorExecutor::make_kernel(const BoundSymbol& b, const Trace& t, const SlotMap& slots) const {
  auto it = kernels_.find(b.sym);
  KERAUNOS_CHECK(it != kernels_.end(), name(), " has no kernel for ", b.sym->id);
  return it->second(b, t, slots);
}

FusionExecutor::FusionExecutor(std::string name, SymbolTable& table) : Executor(std::move(name)) {
  Symbol s;
  s.id = this->name() + ".region";
  s.is_prim = true;
  s.variadic = true;
  s.tags = kTagFusion;
  s.executor = this;
  region_ = table.add(std::move(s));
}

void FusionExecutor::fusion_pass(Trace& t, PassContext& ctx) const {
  auto fusible = [this](const BoundSymbol& b) { return b.fusion_claim == this; };
  auto groups = partition(t, fusible, ctx.partition_override.value_or(partition_mode));
  std::vector<BoundSymbol> out;
  out.reserve(groups.size());
  size_t regions = 0;
  for (const auto& g : groups) {
    if (!fusible(t.bsyms[g.front()])) {
      out.push_back(std::move(t.bsyms[g.front()]));
      continue;
    }
    Region reg = make_region(t, g);
    BoundSymbol rb;
    rb.sym = region_;
    for (ProxyId in : reg.inputs) rb.args.push_back(Value::proxy(in));
    rb.outputs = reg.outputs;
    rb.tags = t.bsyms[g.front()].tags & kBsymBackward;
    for (size_t i : g) {
      BoundSymbol m = std::move(t.bsyms[i]);
      m.fusion_claim = nullptr;
      rb.subsymbols.push_back(std::move(m));
    }
    out.push_back(std::move(rb));
    ++regions;
  }
  t.bsyms = std::move(out);
  if (regions) ctx.notes.push_back(str(name(), ": ", regions, " region(s)"));
}

}  // namespace keraunos
