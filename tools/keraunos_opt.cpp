// keraunos-opt: reads trace text (a file or stdin), runs the named passes, prints the result.
//   keraunos-opt --passes=dce,cse [--timings] [--verify] [FILE|-]
// A file of several traces split by `# -----` lines runs each in turn.
#include <fstream>
#include <iostream>
#include <sstream>

#include "executors/api/dispatch.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "ops/builtins.h"
#include "passes/pass_manager.h"
#include "support/env.h"
#ifdef KERAUNOS_OPT_WITH_ATEN
#include "executors/torch/aten_executor.h"
#endif

namespace {

void usage(std::ostream& os) {
  os << "usage: keraunos-opt [--passes=p1,p2,...] [--verify] [--timings] [FILE|-]\n"
        "  Parses a trace, verifies it, runs the passes in order and prints the result.\n"
        "  --verify   verify after every pass (always on in Debug builds)\n"
        "  --timings  print per-pass time to stderr\n"
        "  KERAUNOS_DUMP=<pass,...|all> prints the trace after those passes to stderr;\n"
        "  KERAUNOS_STOP_AFTER=<n|pass> stops the pipeline early.\n"
        "passes:";
  for (const auto& n : keraunos::registered_pass_names()) os << " " << n;
  os << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace keraunos;
  std::vector<std::string> passes;
  std::string file = "-";
  bool timings = false, verify = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--passes=", 0) == 0) {
      passes = split(a.substr(9), ',');
    } else if (a == "--timings") {
      timings = true;
    } else if (a == "--verify") {
      verify = true;
    } else if (a == "-h" || a == "--help") {
      usage(std::cout);
      return 0;
    } else if (a.size() > 1 && a[0] == '-') {
      std::cerr << "keraunos-opt: unknown option '" << a << "'\n";
      usage(std::cerr);
      return 2;
    } else {
      file = a;
    }
  }
  std::stringstream buf;
  if (file == "-") {
    buf << std::cin.rdbuf();
  } else {
    std::ifstream in(file);
    if (!in) {
      std::cerr << "keraunos-opt: cannot open '" << file << "'\n";
      return 2;
    }
    buf << in.rdbuf();
  }
  const std::string where = file == "-" ? "<stdin>" : file;
  try {
    const auto& symbols = ops::register_builtins();
    register_executor_passes();
#ifdef KERAUNOS_OPT_WITH_ATEN
    aten_executor();
#endif
    // Several traces split by `# -----` lines (as the .ktest files hold them) run one by one; each
    // keeps the file's line numbers for its errors.
    std::vector<std::string> chunks(1);
    std::string line;
    size_t n = 0;
    while (std::getline(buf, line)) {
      ++n;
      if (line.rfind("# -----", 0) == 0) {
        chunks.emplace_back(n, '\n');
        continue;
      }
      chunks.back() += line + "\n";
    }
    for (size_t i = 0; i < chunks.size(); ++i) {
      Trace t = parse_trace(chunks[i], symbols);
      verify_or_throw(t, "as parsed");
      PassManager pm = make_pipeline(passes);
      PipelineOptions opts = PipelineOptions::from_env();
      opts.verify_each = opts.verify_each || verify;
      auto res = pm.run(t, opts);
      if (i) std::cout << "# -----\n";
      std::cout << print_trace(t);
      if (timings)
        for (const auto& pt : res.timings) std::cerr << "  " << pt.name << ": " << pt.ms << " ms\n";
    }
  } catch (const ParseError& e) {
    std::cerr << where << ":" << e.line() << ":" << e.column() << ": error: " << e.message() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << where << ": error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
