// Runs one text-in/text-out IR test file (*.ktest): one file per pass, several cases a file, in the
// manner of MLIR's lit tests. Format:
//
//   # RUN: dce,cse           passes to run for the cases below it ("# RUN:" alone: a round trip);
//                            fuser-schedule / fuser-codegen instead print the CPU fuser's DAG and
//                            schedule, or its generated C++, for the whole trace taken as one region
//   # EXECUTORS: fuse(prims.add, prims.mul) ops(prims.neg) fuse2[consecutive](prims.exp)
//                            fake executors for dispatch/partition tests, in priority order: a name
//                            containing "fuse" is a fusion executor (dataflow partitioning unless
//                            [consecutive]); any other is an operator executor that claims the listed
//                            symbols by rebinding them to its own "<name>.<op>" symbols
//   def computation(...):    a case's input trace
//     ...
//   # EXPECT:                the whole printed trace after the passes (omitted, with no CHECK
//   def computation(...):    lines either: the input itself)
//   # CHECK: text            text on a line at or after the previous match
//   # CHECK-NEXT: text       text on the line right after the previous match
//   # CHECK-NOT: text        text on no line between the previous match and the next (or the end)
//   # EXPECT-ERROR: text     the passes fail, and the error contains the text
//   # -----                  ends a case; the next one starts (RUN and EXECUTORS carry over)
//
// A round trip is checked for every trace: print(parse(print(t))) == print(t), input and output.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "executors/api/dispatch.h"
#include "executors/api/registry.h"
#include "executors/fuser/fusion.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "ops/builtins.h"
#include "passes/pass_manager.h"
#include "support/env.h"

namespace {

using namespace keraunos;

struct Check {
  enum class Kind { Check, Next, Not } kind;
  std::string text;
  int line;
};

struct Case {
  int first_line = 0;
  std::vector<std::string> passes;
  std::string input;  // with blank lines for the lines before it, so parse errors report file lines
  std::optional<std::string> expect;
  std::vector<std::string> expect_errors;
  std::vector<Check> checks;
};

struct TestFile {
  std::string executors;
  std::vector<Case> cases;
};

TestFile read(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open " + path);
  TestFile tf;
  std::string line, padding;
  std::vector<std::string> passes;
  bool has_run = false;
  Case c;
  enum { Input, Expect } section = Input;
  std::string expect;
  int n = 0;
  auto finish = [&] {
    if (section == Expect) c.expect = expect;
    c.passes = passes;
    if (!trim(c.input).empty() || c.expect || !c.expect_errors.empty()) tf.cases.push_back(std::move(c));
    c = Case{};
    section = Input;
    expect.clear();
  };
  while (std::getline(in, line)) {
    ++n;
    auto directive = [&](const char* d) { return line.rfind(d, 0) == 0; };
    if (directive("# -----")) {
      finish();
      c.input = std::string(static_cast<size_t>(n), '\n');
      continue;
    }
    if (c.first_line == 0 && !trim(line).empty() && line[0] != '#') c.first_line = n;
    // Directive lines stay as blank lines, so reported line numbers match the file.
    std::string& into = section == Input ? c.input : expect;
    if (directive("# RUN:")) {
      passes = split(line.substr(6), ',');
      has_run = true;
      into += "\n";
    } else if (directive("# EXPECT-ERROR:")) {
      c.expect_errors.push_back(trim(line.substr(15)));
      into += "\n";
    } else if (directive("# EXECUTORS:")) {
      tf.executors = line.substr(12);
      into += "\n";
    } else if (directive("# CHECK-NEXT:")) {
      c.checks.push_back({Check::Kind::Next, trim(line.substr(13)), n});
      into += "\n";
    } else if (directive("# CHECK-NOT:")) {
      c.checks.push_back({Check::Kind::Not, trim(line.substr(12)), n});
      into += "\n";
    } else if (directive("# CHECK:")) {
      c.checks.push_back({Check::Kind::Check, trim(line.substr(8)), n});
      into += "\n";
    } else if (directive("# EXPECT:")) {
      section = Expect;
    } else {
      into += line + "\n";
    }
  }
  finish();
  if (!has_run) throw Error(path + ": missing '# RUN:' line");
  return tf;
}

// Drops header comment lines and surrounding blank lines so expectations compare printed text.
std::string strip(const std::string& s) {
  std::istringstream is(s);
  std::string line, out;
  bool started = false;
  while (std::getline(is, line)) {
    if (!started && (trim(line).empty() || line[0] == '#')) continue;
    started = true;
    out += line + "\n";
  }
  while (out.size() >= 2 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
  return out;
}

// FileCheck's core: CHECK finds the text at or after the last match, CHECK-NEXT on the next line,
// CHECK-NOT on no line up to the next positive match. Returns the first failure, or empty.
std::string run_checks(const std::vector<Check>& checks, const std::string& output) {
  std::vector<std::string> lines;
  std::istringstream is(output);
  for (std::string l; std::getline(is, l);) lines.push_back(l);
  size_t pos = 0;  // the first line a CHECK may match
  std::vector<const Check*> pending_not;
  auto check_nots = [&](size_t end) -> std::string {
    for (const Check* c : pending_not)
      for (size_t i = pos; i < end && i < lines.size(); ++i)
        if (lines[i].find(c->text) != std::string::npos)
          return str("line ", c->line, ": CHECK-NOT: '", c->text, "' found in output line ", i + 1, ": ", lines[i]);
    pending_not.clear();
    return {};
  };
  bool matched_any = false;
  for (const Check& c : checks) {
    if (c.kind == Check::Kind::Not) {
      pending_not.push_back(&c);
      continue;
    }
    size_t found = lines.size();
    if (c.kind == Check::Kind::Next) {
      if (!matched_any) return str("line ", c.line, ": CHECK-NEXT with no CHECK before it");
      if (pos < lines.size() && lines[pos].find(c.text) != std::string::npos) found = pos;
      if (found == lines.size())
        return str("line ", c.line, ": CHECK-NEXT: '", c.text, "' is not on the next line (", pos < lines.size() ? lines[pos] : "<end>",
                   ")");
    } else {
      for (size_t i = pos; i < lines.size(); ++i)
        if (lines[i].find(c.text) != std::string::npos) {
          found = i;
          break;
        }
      if (found == lines.size()) return str("line ", c.line, ": CHECK: '", c.text, "' not found after output line ", pos);
    }
    if (auto e = check_nots(found); !e.empty()) return e;
    pos = found + 1;
    matched_any = true;
  }
  return check_nots(lines.size());
}

class FakeFuser : public FusionExecutor {
 public:
  FakeFuser(std::string name, std::vector<std::string> ops) : FusionExecutor(std::move(name)), ops_(std::move(ops)) {}
  Decision can_fuse(const BoundSymbol& b, const Trace&) const override {
    for (const auto& o : ops_)
      if (o == b.sym->id) return Decision::yes();
    return Decision::no("does not fuse " + b.sym->id);
  }
  std::unique_ptr<Kernel> compile(const BoundSymbol&, const Trace&, const SlotMap&) const override {
    throw Error("fake executors do not run");
  }

 private:
  std::vector<std::string> ops_;
};

// Parses "name(op, op) name2[consecutive](op)" and registers the executors as the defaults.
void register_fake_executors(const std::string& spec) {
  std::vector<std::string> order;
  size_t pos = 0;
  while (true) {
    size_t open = spec.find('(', pos);
    if (open == std::string::npos) break;
    size_t close = spec.find(')', open);
    std::string head = trim(spec.substr(pos, open - pos));
    auto ops = split(spec.substr(open + 1, close - open - 1), ',');
    pos = close + 1;
    bool consecutive = false;
    if (auto b = head.find('['); b != std::string::npos) {
      consecutive = head.substr(b) == "[consecutive]";
      head = head.substr(0, b);
    }
    if (head.find("fuse") != std::string::npos) {
      auto f = std::make_shared<FakeFuser>(head, ops);
      f->partition_mode = consecutive ? PartitionMode::Consecutive : PartitionMode::Dataflow;
      executor_registry().add(f);
    } else {
      auto ex = std::make_shared<OperatorExecutor>(head);
      for (const auto& op : ops) {
        const Symbol& like = global_symbols().get(op);
        // prims.exp -> <name>.exp; torch.exp -> <name>.torch_exp
        std::string short_name = op.rfind("prims.", 0) == 0 ? op.substr(6) : op;
        std::replace(short_name.begin(), short_name.end(), '.', '_');
        const Symbol* mine = ex->register_operator(
            short_name, like,
            [](const BoundSymbol&, const Trace&, const SlotMap&) -> std::unique_ptr<Kernel> { throw Error("fake executors do not run"); });
        ex->register_implementation(op, mine);
      }
      executor_registry().add(ex);
    }
    order.push_back(head);
  }
  executor_registry().set_defaults(order);
}

// The whole trace as one fusion region (the CPU fuser's DAG, schedule and C++ need no ATen).
std::string fuser_output(const Trace& t, const std::string& what) {
  static const Symbol* region_sym = [] {
    Symbol r;
    r.id = "ktest.region";
    r.is_prim = true;
    r.variadic = true;
    r.tags = kTagFusion;
    return global_symbols().add(std::move(r));
  }();
  BoundSymbol region;
  region.sym = region_sym;
  for (ProxyId in : t.inputs) region.args.push_back(Value::proxy(in));
  for (const auto& v : t.outputs) region.outputs.push_back(v.as_proxy());
  region.subsymbols = t.bsyms;
  auto built = fuser::build_fusion(t, region);
  if (!built.ok) throw Error("fuser: " + built.ok.reason);
  auto sched = fuser::schedule_fusion(built.fusion);
  if (!sched.ok) throw Error("fuser: " + sched.ok.reason);
  if (what == "fuser-schedule") return "schedule: " + sched.schedule.str() + "\n" + fuser::describe(built.fusion);
  return fuser::generate_cpp(built.fusion, sched.schedule, ~0ULL);
}

// Runs one case; returns the failure, or empty.
std::string run_case(const Case& c, const SymbolTable& symbols) {
  std::string got;
  const bool fuser_mode = c.passes.size() == 1 && c.passes[0].rfind("fuser-", 0) == 0;
  try {
    Trace t = parse_trace(c.input, symbols);
    std::string printed = print_trace(t);
    Trace again = parse_trace(printed, symbols);
    if (print_trace(again) != printed) return "round trip of the input changed the text:\n" + printed + "---\n" + print_trace(again);
    verify_or_throw(t, "as parsed");
    if (fuser_mode) {
      got = fuser_output(t, c.passes[0]);
    } else {
      PipelineOptions opts;
      opts.verify_each = true;
      make_pipeline(c.passes).run(t, opts);
      got = print_trace(t);
      Trace out_again = parse_trace(got, symbols);
      if (print_trace(out_again) != got) return "round trip of the output changed the text";
    }
  } catch (const std::exception& e) {
    if (c.expect_errors.empty()) return std::string("unexpected error: ") + e.what();
    std::string msg = e.what();
    for (const auto& want : c.expect_errors)
      if (msg.find(want) == std::string::npos) return "error\n  " + msg + "\ndoes not contain\n  " + want;
    return {};
  }
  if (!c.expect_errors.empty()) return "expected an error, but the passes succeeded:\n" + got;
  if (!c.checks.empty()) {
    if (auto e = run_checks(c.checks, got); !e.empty()) return e + "\n--- output\n" + got;
    if (!c.expect) return {};
  }
  if (fuser_mode && !c.expect) return {};
  std::string want = strip(c.expect ? *c.expect : c.input);
  if (strip(got) != want) return "output differs.\n--- expected\n" + want + "--- got\n" + strip(got);
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: ir_file_test FILE.ktest\n";
    return 2;
  }
  TestFile tf;
  try {
    tf = read(argv[1]);
  } catch (const std::exception& e) {
    std::cerr << "FAIL: " << e.what() << "\n";
    return 1;
  }
  const auto& symbols = ops::register_builtins();
  register_executor_passes();
  if (!tf.executors.empty()) register_fake_executors(tf.executors);
  int failed = 0;
  for (size_t i = 0; i < tf.cases.size(); ++i) {
    const Case& c = tf.cases[i];
    std::string err = run_case(c, symbols);
    if (err.empty()) continue;
    ++failed;
    std::cerr << "FAIL: " << argv[1] << ": case " << i + 1 << " (line " << c.first_line << "): " << err << "\n";
  }
  std::cout << tf.cases.size() - static_cast<size_t>(failed) << "/" << tf.cases.size() << " cases ok\n";
  return failed ? 1 : 0;
}
