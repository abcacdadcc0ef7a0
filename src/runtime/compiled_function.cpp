// A compiled function and its plan cache.
#include "runtime/compiled_function.h"

#include <chrono>
#include <cstring>

#include "executors/api/dispatch.h"
#include "executors/api/registry.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "runtime/aten_types.h"
#include "support/hash.h"

namespace keraunos {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

enum Tag : int64_t { kTensorTag = 1, kIntTag = 2, kFloatTag = 3, kBoolTag = 4, kNoneTag = 5, kStrTag = 6 };

// Appends one tensor's signature: dtype, device, rank, requires_grad, contiguity, then sizes (or
// their symbolic class: -1 for a size-1 dim, else the index of the first dim with the same size).
void tensor_key(std::vector<int64_t>& key, const at::Tensor& t, ShapeMode shapes, std::vector<int64_t>& seen_sizes) {
  key.push_back(kTensorTag);
  key.push_back(static_cast<int64_t>(t.scalar_type()));
  key.push_back((static_cast<int64_t>(t.device().type()) << 16) | static_cast<int64_t>(t.device().index() + 1));
  key.push_back(t.dim() | (static_cast<int64_t>(t.requires_grad()) << 8) | (static_cast<int64_t>(t.is_contiguous()) << 9));
  for (int64_t s : t.sizes()) {
    if (shapes == ShapeMode::Static || s == 1) {
      key.push_back(shapes == ShapeMode::Static ? s : -1);
      continue;
    }
    int64_t cls = -2;
    for (size_t k = 0; k < seen_sizes.size(); ++k)
      if (seen_sizes[k] == s) cls = static_cast<int64_t>(k);
    if (cls == -2) {
      cls = static_cast<int64_t>(seen_sizes.size());
      seen_sizes.push_back(s);
    }
    key.push_back(cls);
  }
}

void value_key(std::vector<int64_t>& key, const c10::IValue& v, CacheMode cache, ShapeMode shapes, std::vector<int64_t>& seen) {
  if (v.isTensor()) return tensor_key(key, v.toTensor(), shapes, seen);
  bool by_value = cache != CacheMode::SymbolicValues;
  if (v.isBool()) {
    key.push_back(kBoolTag);
    key.push_back(v.toBool());  // bools always specialize: control flow depends on them
  } else if (v.isInt()) {
    key.push_back(kIntTag);
    if (by_value) key.push_back(v.toInt());
  } else if (v.isDouble()) {
    key.push_back(kFloatTag);
    if (by_value) {
      double d = v.toDouble();
      int64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      key.push_back(bits);
    }
  } else if (v.isNone()) {
    key.push_back(kNoneTag);
  } else if (v.isString()) {
    // Strings (and whatever the front end describes as one, e.g. a dtype) specialize by value.
    const std::string& sv = v.toStringRef();
    key.push_back(kStrTag);
    key.push_back(static_cast<int64_t>(sv.size()));
    for (size_t i = 0; i < sv.size(); i += 8) {
      int64_t w = 0;
      std::memcpy(&w, sv.data() + i, std::min<size_t>(8, sv.size() - i));
      key.push_back(w);
    }
  } else {
    throw Error(str("keraunos: unsupported input of type ", v.tagKind(), " (expected tensors, numbers or None)"));
  }
}

void value_key(std::vector<int64_t>& key, const at::Tensor& t, CacheMode, ShapeMode shapes, std::vector<int64_t>& seen) {
  tensor_key(key, t, shapes, seen);
}

uint64_t hash_key(const std::vector<int64_t>& key) { return hash_bytes(key.data(), key.size() * sizeof(int64_t)); }

}  // namespace

CompiledFunction::CompiledFunction(TraceFn fn, CompileOptions opts) : fn_(std::move(fn)), opts_(std::move(opts)) {}

template <typename Input>
const CacheEntry* CompiledFunction::find_key(const std::vector<Input>& inputs, const std::vector<int64_t>& context, uint64_t* hash) {
  scratch_key_.assign(context.begin(), context.end());
  thread_local std::vector<int64_t> seen;
  seen.clear();
  for (const auto& in : inputs) value_key(scratch_key_, in, opts_.cache, opts_.shapes, seen);
  *hash = hash_key(scratch_key_);
  if (opts_.cache == CacheMode::NoCaching) return nullptr;
  auto it = cache_.find(*hash);
  if (it == cache_.end()) return nullptr;
  for (const auto& e : it->second)
    if (e->key == scratch_key_) {
      ++info_.hits;
      last_ = e.get();
      return e.get();
    }
  return nullptr;
}

template <typename Input>
const CacheEntry& CompiledFunction::lookup(const std::vector<Input>& inputs, const std::vector<int64_t>& context) {
  uint64_t h = 0;
  if (const CacheEntry* e = find_key(inputs, context, &h)) return *e;
  std::vector<c10::IValue> values(inputs.begin(), inputs.end());
  return compile(scratch_key_, h, values);
}

const CacheEntry* CompiledFunction::find(const std::vector<at::Tensor>& inputs, const std::vector<int64_t>& context) {
  uint64_t h = 0;
  return find_key(inputs, context, &h);
}

const CacheEntry& CompiledFunction::compile(std::vector<int64_t> key, uint64_t hash, const std::vector<c10::IValue>& inputs) {
  ++info_.misses;
  auto entry = std::make_unique<CacheEntry>();
  entry->key = std::move(key);
  auto t0 = Clock::now();
  // The trace's inputs from the signature.
  Trace t;
  std::vector<Value> in_values;
  std::map<int64_t, ProxyId> size_syms;  // size -> symbol, in Symbolic mode
  for (size_t i = 0; i < inputs.size(); ++i) {
    const c10::IValue& v = inputs[i];
    std::string name = i < opts_.input_names.size() ? opts_.input_names[i] : "x" + std::to_string(i);
    if (v.isTensor()) {
      const at::Tensor& a = v.toTensor();
      TensorType tt;
      tt.dtype = from_aten(a.scalar_type());
      tt.device = from_aten(a.device());
      tt.requires_grad = a.requires_grad();
      for (int64_t s : a.sizes()) {
        if (opts_.shapes == ShapeMode::Static || s == 1) {
          tt.shape.push_back(Dim::constant(s));
          continue;
        }
        auto it = size_syms.find(s);
        if (it == size_syms.end()) it = size_syms.emplace(s, t.new_size_symbol()).first;
        tt.shape.push_back(Dim::symbolic(it->second));
      }
      ProxyId p = t.new_tensor(std::move(tt), name);
      t.inputs.push_back(p);
      in_values.push_back(Value::proxy(p));
    } else if (v.isNone()) {
      in_values.push_back(Value::none());
    } else if (v.isString()) {
      in_values.push_back(Value::string(v.toStringRef()));
    } else {
      bool by_value = opts_.cache != CacheMode::SymbolicValues || v.isBool();
      if (by_value) {
        // Specialized numbers are literals in the trace.
        in_values.push_back(v.isBool()  ? Value::boolean(v.toBool())
                            : v.isInt() ? Value::integer(v.toInt())
                                        : Value::floating(v.toDouble()));
      } else {
        NumberType n{v.isInt() ? NumberKind::Int : NumberKind::Float, {}, {}};
        ProxyId p = t.new_number(n, name);
        t.inputs.push_back(p);
        in_values.push_back(Value::proxy(p));
      }
    }
  }
  {
    Recorder r(t);
    t.outputs = fn_(r, in_values);
  }
  info_.trace_ms += ms_since(t0);
  if (opts_.keep_traces) entry->traces.emplace_back("initial", t);

  auto t1 = Clock::now();
  auto executors = executor_registry().resolve(opts_.executors);
  PassManager pm = make_execution_pipeline(executors, &entry->placement, opts_.partition);
  PipelineOptions po = PipelineOptions::from_env();
  po.keep_history = opts_.keep_traces;
  auto res = pm.run(t, po);
  for (const auto& pt : res.timings) info_.pass_ms[pt.name] += pt.ms;
  for (auto& h : res.history) entry->traces.push_back(std::move(h));
  info_.passes_ms += ms_since(t1);

  auto t2 = Clock::now();
  entry->plan = ExecutionPlan::build(t);
  info_.plan_ms += ms_since(t2);
  auto& bucket = cache_[hash];
  bucket.push_back(std::move(entry));
  info_.plans = 0;
  for (const auto& [k, v] : cache_) info_.plans += v.size();
  last_ = bucket.back().get();
  return *bucket.back();
}

std::vector<c10::IValue> CompiledFunction::operator()(const std::vector<c10::IValue>& inputs, const std::vector<int64_t>& context,
                                                      const CacheEntry** used) {
  const CacheEntry& e = lookup(inputs, context);
  if (used) *used = &e;
  // Specialized numbers are not plan inputs.
  std::vector<c10::IValue> plan_inputs;
  plan_inputs.reserve(inputs.size());
  for (const auto& v : inputs)
    if (v.isTensor() || ((v.isInt() || v.isDouble()) && opts_.cache == CacheMode::SymbolicValues)) plan_inputs.push_back(v);
  return e.plan->run(plan_inputs);
}

std::vector<at::Tensor> CompiledFunction::call_tensors(const std::vector<at::Tensor>& inputs, const std::vector<int64_t>& context) {
  return lookup(inputs, context).plan->run_tensors(inputs);
}

}  // namespace keraunos
