// Checks a trace's invariants.
#include "ir/verifier.h"

#include <algorithm>

#include "ir/printer.h"
#include "ir/recorder.h"

namespace keraunos {
namespace {

class Verifier {
 public:
  explicit Verifier(Trace& t) : t_(t), rec_(t), def_line_(t.num_proxies(), 0) {}

  std::vector<std::string> run() {
    print_trace(t_, {}, &lines_);
    for (ProxyId in : t_.inputs) def_line_[static_cast<size_t>(in)] = 1;
    for (ProxyId s : t_.input_size_symbols()) def_line_[static_cast<size_t>(s)] = 1;
    // Where each value is defined, for "used before it is defined (at line N)".
    std::vector<int> later(t_.num_proxies(), 0);
    for (size_t i = 0; i < t_.bsyms.size(); ++i)
      for (ProxyId o : t_.bsyms[i].outputs)
        if (later[static_cast<size_t>(o)] == 0) later[static_cast<size_t>(o)] = line_of(i);
    later_ = std::move(later);
    for (size_t i = 0; i < t_.bsyms.size(); ++i) check(t_.bsyms[i], line_of(i), {});
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

  // `parent_outputs`: outputs of the enclosing bound symbol, which its decomposition must define.
  void check(const BoundSymbol& b, int line, const std::vector<ProxyId>& parent_outputs) {
    std::string where = b.line && b.line != line ? str(" (subsymbol at line ", b.line, ")") : "";
    if (b.line) line = b.line;
    if (b.args.size() != b.sym->params.size()) {
      report(b, line, where, str("has ", b.args.size(), " arguments but ", b.sym->id, " takes ", b.sym->params.size()));
      return;
    }
    b.for_each_input([&](ProxyId p) {
      if (defined(p)) return;
      int at = later_[static_cast<size_t>(p)];
      report(b, line, where,
             at ? str(t_.name_of(p), " is used before it is defined (at line ", at, ")")
                : str(t_.name_of(p), " is used but never defined"));
    });
    for (ProxyId o : b.outputs) {
      bool parents = std::find(parent_outputs.begin(), parent_outputs.end(), o) != parent_outputs.end();
      if (defined(o) && !parents)
        report(b, line, where, str(t_.name_of(o), " is defined twice (first at line ", def_line_[static_cast<size_t>(o)], ")"));
    }
    check_meta(b, line, where);
    if (!b.subsymbols.empty()) {
      std::vector<ProxyId> introduced;
      for (const auto& s : b.subsymbols) {
        std::vector<bool> was;
        for (ProxyId o : s.outputs) was.push_back(defined(o));
        check(s, line, b.outputs);
        for (size_t i = 0; i < s.outputs.size(); ++i)
          if (!was[i]) introduced.push_back(s.outputs[i]);
      }
      for (ProxyId o : b.outputs)
        if (!defined(o)) report(b, line, where, str("its decomposition does not define its output ", t_.name_of(o)));
      // Decomposition intermediates are local to it, except the outputs the parent defines.
      for (ProxyId o : introduced) def_line_[static_cast<size_t>(o)] = 0;
    }
    for (ProxyId o : b.outputs)
      if (!defined(o)) def_line_[static_cast<size_t>(o)] = line;
  }

  void check_meta(const BoundSymbol& b, int line, const std::string& where) {
    std::vector<ProxyType> expect;
    try {
      expect = rec_.infer(*b.sym, b.args);
    } catch (const Error& e) {
      report(b, line, where, str("its meta function rejects the arguments: ", e.what()));
      return;
    }
    if (expect.size() != b.outputs.size()) {
      report(b, line, where, str("has ", b.outputs.size(), " outputs but ", b.sym->id, " produces ", expect.size()));
      return;
    }
    for (size_t i = 0; i < expect.size(); ++i) {
      const ProxyType& got = t_.type(b.outputs[i]);
      if (!(got == expect[i]))
        report(b, line, where,
               str("output ", t_.name_of(b.outputs[i]), " is \"", print_type(t_, got), "\" but the meta function computes \"",
                   print_type(t_, expect[i]), "\""));
    }
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
