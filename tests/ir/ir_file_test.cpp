// Runs one text-in/text-out IR test file (*.ktest). Format:
//
//   # RUN: dce,cse           passes to run ("# RUN:" with nothing after runs none: a round trip)
//   def computation(...):    the input trace
//     ...
//   # EXPECT:                the printed trace after the passes (omitted: the input itself)
//   def computation(...):
//     ...
//   # EXPECT-ERROR: text     instead of EXPECT: each such line must appear in the error
//
// A round trip is always checked too: print(parse(print(t))) == print(t) for input and output.
#include <fstream>
#include <iostream>
#include <sstream>

#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "ops/builtins.h"
#include "passes/pass_manager.h"
#include "support/env.h"

namespace {

using namespace keraunos;

struct TestFile {
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
