// Runs one text-in/text-out IR test file (*.ktest). Format:
//
//   # RUN: dce,cse           passes to run ("# RUN:" with nothing after runs none: a round trip)
//   def computation(...):    the input trace
//     ...
//   # EXPECT:                the printed trace after the passes (omitted: the input itself)
//   def computation(...):
//     ...
//   # EXPECT-ERROR: text     instead of EXPECT: each such line must appear in the error
//   # EXECUTORS: fuse(prims.add, prims.mul) ops(prims.neg) fuse2[consecutive](prims.exp)
//                            fake executors for dispatch/partition tests, in priority order: a name
//                            containing "fuse" is a fusion executor (dataflow partitioning unless
//                            [consecutive]); any other is an operator executor that claims the listed
//                            symbols by rebinding them to its own "<name>.<op>" symbols
//
// A round trip is always checked too: print(parse(print(t))) == print(t) for input and output.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "executors/api/dispatch.h"
#include "executors/api/registry.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "ops/builtins.h"
#include "passes/pass_manager.h"
#include "support/env.h"

namespace {

using namespace keraunos;

struct TestFile {
  std::string executors;
  std::vector<std::string> passes;
  std::string input;
  std::optional<std::string> expect;
  std::vector<std::string> expect_errors;
};

TestFile read(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open " + path);
  TestFile tf;
  std::string line;
  enum { Input, Expect } section = Input;
  std::string expect;
  bool has_run = false;
  while (std::getline(in, line)) {
    // Directive lines stay as blank lines, so reported line numbers match the file.
    if (line.rfind("# RUN:", 0) == 0) {
      tf.passes = split(line.substr(6), ',');
      has_run = true;
      (section == Input ? tf.input : expect) += "\n";
      continue;
    }
    if (line.rfind("# EXPECT-ERROR:", 0) == 0) {
      tf.expect_errors.push_back(trim(line.substr(15)));
      (section == Input ? tf.input : expect) += "\n";
      continue;
    }
    if (line.rfind("# EXECUTORS:", 0) == 0) {
      tf.executors = line.substr(12);
      (section == Input ? tf.input : expect) += "\n";
      continue;
    }
    if (line.rfind("# EXPECT:", 0) == 0) {
      section = Expect;
      continue;
    }
    (section == Input ? tf.input : expect) += line + "\n";
  }
  if (!has_run) throw Error(path + ": missing '# RUN:' line");
  if (section == Expect) tf.expect = expect;
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

int fail(const std::string& msg) {
  std::cerr << "FAIL: " << msg << "\n";
  return 1;
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
    return fail(e.what());
  }
  const auto& symbols = ops::register_builtins();
  register_executor_passes();
  if (!tf.executors.empty()) register_fake_executors(tf.executors);
  std::string got;
  try {
    Trace t = parse_trace(tf.input, symbols);
    std::string printed = print_trace(t);
    Trace again = parse_trace(printed, symbols);
    if (print_trace(again) != printed) return fail("round trip of the input changed the text:\n" + printed + "---\n" + print_trace(again));
    verify_or_throw(t, "as parsed");
    PipelineOptions opts;
    opts.verify_each = true;
    make_pipeline(tf.passes).run(t, opts);
    got = print_trace(t);
    Trace out_again = parse_trace(got, symbols);
    if (print_trace(out_again) != got) return fail("round trip of the output changed the text");
  } catch (const std::exception& e) {
    if (tf.expect_errors.empty()) return fail(std::string("unexpected error: ") + e.what());
    std::string msg = e.what();
    for (const auto& want : tf.expect_errors)
      if (msg.find(want) == std::string::npos) return fail("error\n  " + msg + "\ndoes not contain\n  " + want);
    std::cout << "ok (expected error): " << msg << "\n";
    return 0;
  }
  if (!tf.expect_errors.empty()) return fail("expected an error, but the passes succeeded:\n" + got);
  std::string want = strip(tf.expect ? *tf.expect : tf.input);
  if (strip(got) != want) return fail("output differs.\n--- expected\n" + want + "--- got\n" + strip(got));
  std::cout << "ok\n";
  return 0;
}
