// Checks a trace's invariants.
#include "ir/verifier.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "ir/printer.h"
#include "ir/recorder.h"

namespace keraunos {
namespace {

class Verifier {
 public:
  explicit Verifier(Trace& t) : t_(t), rec_(t), def_line_(t.num_proxies(), 0) {}

  std::vector<std::string> run() {
    print_trace(t_, {}, &lines_);
    int sig = t_.signature_line ? t_.signature_line : 1;
    for (ProxyId in : t_.inputs) def_line_[static_cast<size_t>(in)] = sig;
    for (ProxyId s : t_.input_size_symbols()) def_line_[static_cast<size_t>(s)] = sig;
    // Where each value is defined, for "used before it is defined (at line N)".
    later_.assign(t_.num_proxies(), 0);
    for (size_t i = 0; i < t_.bsyms.size(); ++i)
      for (ProxyId o : t_.bsyms[i].outputs)
        if (later_[static_cast<size_t>(o)] == 0) later_[static_cast<size_t>(o)] = line_of(i);
    for (size_t i = 0; i < t_.bsyms.size(); ++i) check_top(t_.bsyms[i], line_of(i));
    for (const auto& v : t_.outputs)
      v.for_each_proxy([&](ProxyId p) {
        if (!defined(p)) problems_.push_back(str("return: ", t_.name_of(p), " is returned but never defined"));
      });
    return std::move(problems_);
  }

 private:
  int line_of(size_t i) const { return t_.bsyms[i].line ? t_.bsyms[i].line : lines_[i]; }
  bool defined(ProxyId p) const { return def_line_[static_cast<size_t>(p)] != 0; }

  void report(const BoundSymbol& b, int line, const std::string& where, const std::string& msg) {
    problems_.push_back(str("line ", line, where, ": `", print_bsym(t_, b), "`: ", msg));
  }

  bool check_arity(const BoundSymbol& b, int line, const std::string& where) {
    if (b.sym->variadic || b.args.size() == b.sym->params.size()) return true;
    report(b, line, where, str("has ", b.args.size(), " arguments but ", b.sym->id, " takes ", b.sym->params.size()));
    return false;
  }

  void check_top(const BoundSymbol& b, int line) {
    if (!check_arity(b, line, "")) return;
    b.for_each_input([&](ProxyId p) {
      if (defined(p)) return;
      int at = later_[static_cast<size_t>(p)];
      report(
          b, line, "",
          at ? str(t_.name_of(p), " is used before it is defined (at line ", at, ")") : str(t_.name_of(p), " is used but never defined"));
    });
    for (ProxyId o : b.outputs)
      if (defined(o)) report(b, line, "", str(t_.name_of(o), " is defined twice (first at line ", def_line_[static_cast<size_t>(o)], ")"));
    check_meta_and_decomposition(b, line, "");
    for (ProxyId o : b.outputs)
      if (!defined(o)) def_line_[static_cast<size_t>(o)] = line;
  }

  // A decomposition reads only its parent's arguments and what it defined itself, defines each of
  // its values once, and defines the parent's outputs.
  void check_scopes(const BoundSymbol& parent, int line) {
    std::unordered_set<ProxyId> local;
    parent.for_each_input([&](ProxyId p) {
      local.insert(p);
      // Sizes of the arguments' shapes are readable too.
      const auto& ty = t_.type(p);
      if (ty.is_tensor)
        for (const auto& d : ty.tensor.shape)
          if (d.is_symbolic()) local.insert(d.sym);
    });
    std::unordered_set<ProxyId> here;
    for (const auto& s : parent.subsymbols) {
      std::string where = s.line ? str(" (subsymbol at line ", s.line, ")") : str(" (in the decomposition of ", parent.sym->id, ")");
      if (!check_arity(s, line, where)) continue;
      s.for_each_input([&](ProxyId p) {
        if (!local.count(p))
          report(s, line, where,
                 str("reads ", t_.name_of(p), ", which is neither an argument of ", parent.sym->id,
                     " nor defined earlier in its decomposition"));
      });
      for (ProxyId o : s.outputs) {
        bool parents = std::find(parent.outputs.begin(), parent.outputs.end(), o) != parent.outputs.end();
        if (here.count(o))
          report(s, line, where, str(t_.name_of(o), " is defined twice in the decomposition of ", parent.sym->id));
        else if (defined(o) && !parents)
          report(s, line, where, str(t_.name_of(o), " is defined twice (first at line ", def_line_[static_cast<size_t>(o)], ")"));
      }
      check_meta_and_decomposition(s, line, where);
      for (ProxyId o : s.outputs) {
        local.insert(o);
        here.insert(o);
      }
    }
    for (ProxyId o : parent.outputs)
      if (!here.count(o)) report(parent, line, "", str("its decomposition does not define its output ", t_.name_of(o)));
  }

  // Output types must equal what the symbol computes; a recorded decomposition must be the one the
  // symbol records (up to names).
  void check_meta_and_decomposition(const BoundSymbol& b, int line, const std::string& where) {
    if (b.sym->has_tag(kTagFusion)) {
      // A fusion region is defined by its subsymbols: they must read only the region's inputs and
      // define its outputs, and each must check on its own.
      if (b.subsymbols.empty())
        report(b, line, where, "a fusion region needs its subsymbols");
      else
        check_scopes(b, line);
      return;
    }
    size_t cp = t_.checkpoint();
    BoundSymbol expect;
    try {
      expect = rec_.record_scratch(*b.sym, b.args);
    } catch (const Error& e) {
      t_.rollback(cp);
      report(b, line, where, str("its meta function rejects the arguments: ", e.what()));
      return;
    }
    bool types_ok = expect.outputs.size() == b.outputs.size();
    if (!types_ok) {
      report(b, line, where, str("has ", b.outputs.size(), " outputs but ", b.sym->id, " produces ", expect.outputs.size()));
    } else {
      for (size_t i = 0; i < expect.outputs.size(); ++i) {
        const ProxyType& got = t_.type(b.outputs[i]);
        const ProxyType& want = t_.type(expect.outputs[i]);
        if (!(got == want)) {
          types_ok = false;
          report(b, line, where,
                 str("output ", t_.name_of(b.outputs[i]), " is \"", print_type(t_, got), "\" but the meta function computes \"",
                     print_type(t_, want), "\""));
        }
      }
    }
    if (types_ok && !b.subsymbols.empty()) {
      size_t before = problems_.size();
      check_scopes(b, line);
      if (problems_.size() == before) {
        std::unordered_map<ProxyId, ProxyId> map;
        if (auto diff = same_decomposition(expect.subsymbols, b.subsymbols, map))
          report(b, line, where, str("its decomposition is not the one ", b.sym->id, " records: ", *diff));
      }
    }
    t_.rollback(cp);
  }

  // Compares a freshly recorded decomposition with the one in the trace, mapping the fresh names.
  std::optional<std::string> same_decomposition(const std::vector<BoundSymbol>& want, const std::vector<BoundSymbol>& got,
                                                std::unordered_map<ProxyId, ProxyId>& map) {
    auto m = [&](ProxyId p) {
      auto it = map.find(p);
      return it == map.end() ? p : it->second;
    };
    if (want.size() != got.size()) return str("expected ", want.size(), " subsymbols, found ", got.size());
    for (size_t i = 0; i < want.size(); ++i) {
      const BoundSymbol& w = want[i];
      const BoundSymbol& g = got[i];
      bool same = w.sym == g.sym && w.outputs.size() == g.outputs.size() && w.args.size() == g.args.size();
      for (size_t k = 0; same && k < w.args.size(); ++k) same = w.args[k].map_proxies(m) == g.args[k];
      for (size_t k = 0; same && k < w.outputs.size(); ++k) same = t_.type(w.outputs[k]) == t_.type(g.outputs[k]);
      if (!same) {
        BoundSymbol shown = w;
        shown.subsymbols.clear();
        shown.remap(m);
        return str("subsymbol ", i + 1, " should be `", print_bsym(t_, shown), "`, found `", print_bsym(t_, g, 0, 0), "`");
      }
      for (size_t k = 0; k < w.outputs.size(); ++k) map[w.outputs[k]] = g.outputs[k];
      if (!g.subsymbols.empty())
        if (auto d = same_decomposition(w.subsymbols, g.subsymbols, map)) return d;
    }
    return std::nullopt;
  }

  Trace& t_;
  Recorder rec_;
  std::vector<int> def_line_;
  std::vector<int> later_;
  std::vector<int> lines_;
  std::vector<std::string> problems_;
};

}  // namespace

std::vector<std::string> verify_trace(Trace& trace) { return Verifier(trace).run(); }

void verify_or_throw(Trace& trace, const std::string& context) {
  auto problems = verify_trace(trace);
  if (problems.empty()) return;
  std::string msg = "invalid trace" + (context.empty() ? std::string() : " " + context) + ":";
  for (const auto& p : problems) msg += "\n  " + p;
  throw VerifyError(msg);
}

}  // namespace keraunos
