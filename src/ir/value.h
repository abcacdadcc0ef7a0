// Values of the IR: proxies (tensors and numbers, identified by integer ids in a trace's arena),
// literals (None, bool, int, float, str, dtype, device) and tuples of these.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/device.h"
#include "ir/dtype.h"

namespace keraunos {

using ProxyId = int32_t;
constexpr ProxyId kNoProxy = -1;

// One dimension of a shape: a constant, or a symbolic integer that is itself a NumberProxy.
struct Dim {
  int64_t size = 0;        // the constant, or -1 when symbolic
  ProxyId sym = kNoProxy;  // the NumberProxy when symbolic

  static Dim constant(int64_t n) { return {n, kNoProxy}; }
  static Dim symbolic(ProxyId id) { return {-1, id}; }
  bool is_symbolic() const { return sym != kNoProxy; }
  bool is_constant() const { return sym == kNoProxy; }
  bool operator==(const Dim&) const = default;
};
using Shape = std::vector<Dim>;

struct TensorType {
  Shape shape;
  DType dtype = DType::Float32;
  Device device;
  bool requires_grad = false;

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  bool operator==(const TensorType&) const = default;
};

enum class NumberKind : uint8_t { Bool, Int, Float, Complex };

struct NumberType {
  NumberKind kind = NumberKind::Int;
  // A known value (ints and bools are exact in int_value; floats in float_value).
  std::optional<int64_t> int_value;
  std::optional<double> float_value;

  bool is_known() const { return int_value.has_value() || float_value.has_value(); }
  bool operator==(const NumberType&) const = default;
};

// The type of a proxy: tensor or number.
struct ProxyType {
  bool is_tensor = true;
  TensorType tensor;
  NumberType number;

  static ProxyType of(TensorType t) { return {true, std::move(t), {}}; }
  static ProxyType of(NumberType n) { return {false, {}, n}; }
  bool operator==(const ProxyType&) const = default;
};

struct Proxy {
  std::string name;
  ProxyType type;
  bool is_tensor() const { return type.is_tensor; }
};

class Value {
 public:
  enum class Kind : uint8_t { None, Bool, Int, Float, Str, DType, Device, Tuple, Proxy };

  Value() = default;  // None
  static Value none() { return {}; }
  static Value boolean(bool b) {
    Value v;
    v.kind_ = Kind::Bool;
    v.i_ = b;
    return v;
  }
  static Value integer(int64_t i) {
    Value v;
    v.kind_ = Kind::Int;
    v.i_ = i;
    return v;
  }
  static Value floating(double f) {
    Value v;
    v.kind_ = Kind::Float;
    v.f_ = f;
    return v;
  }
  static Value string(std::string s);
  static Value dtype(DType t) {
    Value v;
    v.kind_ = Kind::DType;
    v.i_ = static_cast<int64_t>(t);
    return v;
  }
  static Value device(Device d);
  static Value tuple(std::vector<Value> items);
  static Value ints(const std::vector<int64_t>& items);
  static Value proxy(ProxyId id) {
    Value v;
    v.kind_ = Kind::Proxy;
    v.i_ = id;
    return v;
  }

  Kind kind() const { return kind_; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_float() const { return kind_ == Kind::Float; }
  bool is_number_literal() const { return kind_ == Kind::Bool || kind_ == Kind::Int || kind_ == Kind::Float; }
  bool is_str() const { return kind_ == Kind::Str; }
  bool is_dtype() const { return kind_ == Kind::DType; }
  bool is_device() const { return kind_ == Kind::Device; }
  bool is_tuple() const { return kind_ == Kind::Tuple; }
  bool is_proxy() const { return kind_ == Kind::Proxy; }

  bool as_bool() const { return i_ != 0; }
  int64_t as_int() const { return i_; }
  double as_float() const { return kind_ == Kind::Float ? f_ : static_cast<double>(i_); }
  const std::string& as_str() const { return *str_; }
  DType as_dtype() const { return static_cast<DType>(i_); }
  Device as_device() const;
  const std::vector<Value>& as_tuple() const { return *tuple_; }
  ProxyId as_proxy() const { return static_cast<ProxyId>(i_); }
  // A tuple of int literals (or a single int) as a vector; throws otherwise.
  std::vector<int64_t> as_ints() const;

  bool operator==(const Value& o) const;
  bool operator!=(const Value& o) const { return !(*this == o); }
  uint64_t hash() const;

  // Calls f(ProxyId&) on every proxy reference inside this value, recursively.
  template <typename F>
  void for_each_proxy(F&& f) const;
  // Returns a copy with every proxy id mapped through f.
  template <typename F>
  Value map_proxies(F&& f) const;

 private:
  Kind kind_ = Kind::None;
  int64_t i_ = 0;
  double f_ = 0.0;
  std::shared_ptr<const std::string> str_;
  std::shared_ptr<const std::vector<Value>> tuple_;
};

template <typename F>
void Value::for_each_proxy(F&& f) const {
  if (kind_ == Kind::Proxy) {
    f(as_proxy());
  } else if (kind_ == Kind::Tuple) {
    for (const auto& v : *tuple_) v.for_each_proxy(f);
  }
}

template <typename F>
Value Value::map_proxies(F&& f) const {
  if (kind_ == Kind::Proxy) return Value::proxy(f(as_proxy()));
  if (kind_ == Kind::Tuple) {
    std::vector<Value> items;
    items.reserve(tuple_->size());
    for (const auto& v : *tuple_) items.push_back(v.map_proxies(f));
    return Value::tuple(std::move(items));
  }
  return *this;
}

}  // namespace keraunos
