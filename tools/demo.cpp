// The demo until the Python front end lands: builds a small transformer-style block through the
// C++ recorder, prints its trace, runs the pass pipeline and prints the result with timings.
#include <iostream>

#include "ir/printer.h"
#include "ir/recorder.h"
#include "ir/verifier.h"
#include "ops/builtins.h"
#include "passes/pass_manager.h"

int main() {
  using namespace keraunos;
  ops::register_builtins();
  Trace t;
  Recorder r(t);
  ProxyId batch = t.new_size_symbol("s0");
  TensorType xt{{Dim::symbolic(batch), Dim::constant(64)}, DType::Float32, Device::cpu(), false};
  Value x = Value::proxy(t.new_tensor(xt, "x"));
  Value b = Value::proxy(t.new_tensor({{Dim::constant(64)}, DType::BFloat16, Device::cpu(), false}, "b"));
  t.inputs = {x.as_proxy(), b.as_proxy()};

  Value h = r.call1("torch.add", {x, b});  // promotes bf16 -> f32, broadcasts
  Value g = r.call1("torch.nn.functional.gelu", {h}, {{"approximate", Value::string("tanh")}});
  Value g2 = r.call1("torch.nn.functional.gelu", {h}, {{"approximate", Value::string("tanh")}});  // duplicate: CSE
  r.call1("torch.exp", {g});                                                                      // dead: DCE
  Value s = r.call1("torch.softmax", {r.call1("torch.mul", {g, g2}), Value::integer(-1)});
  t.outputs = {s};

  std::cout << "== keraunos demo: a traced block (torch-level ops with their prim decompositions) ==\n";
  std::cout << print_trace(t, {1}) << "\n";
  verify_or_throw(t, "as recorded");

  PassManager pm = make_pipeline({"dce", "cse", "dce"});
  PipelineOptions opts = PipelineOptions::from_env();
  opts.verify_each = true;
  auto res = pm.run(t, opts);
  std::cout << "== after dce, cse, dce (verified after each pass) ==\n" << print_trace(t, {0}) << "\n";
  for (const auto& n : res.notes) std::cout << "  " << n << "\n";
  for (const auto& pt : res.timings) std::cout << "  pass " << pt.name << ": " << pt.ms << " ms\n";
  std::cout << "Trace printing and parsing round-trip; try: build/tools/keraunos-opt --passes=dce,cse tests/ir/cse_basic.ktest\n";
  return 0;
}
