// Values of the IR.
#include "ir/value.h"

#include <cstring>

#include "support/error.h"
#include "support/hash.h"

namespace keraunos {

Value Value::string(std::string s) {
  Value v;
  v.kind_ = Kind::Str;
  v.str_ = std::make_shared<const std::string>(std::move(s));
  return v;
}

Value Value::device(Device d) {
  Value v;
  v.kind_ = Kind::Device;
  v.i_ = (static_cast<int64_t>(d.kind) << 32) | static_cast<uint16_t>(d.index);
  return v;
}

Device Value::as_device() const {
  Device d;
  d.kind = static_cast<Device::Kind>(i_ >> 32);
  d.index = static_cast<int16_t>(i_ & 0xffff);
  return d;
}

Value Value::tuple(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::Tuple;
  v.tuple_ = std::make_shared<const std::vector<Value>>(std::move(items));
  return v;
}

Value Value::ints(const std::vector<int64_t>& items) {
  std::vector<Value> vs;
  vs.reserve(items.size());
  for (int64_t i : items) vs.push_back(integer(i));
  return tuple(std::move(vs));
}

std::vector<int64_t> Value::as_ints() const {
  if (kind_ == Kind::Int) return {i_};
  KERAUNOS_TYPE_CHECK(kind_ == Kind::Tuple, "expected an int or a tuple of ints");
  std::vector<int64_t> out;
  out.reserve(tuple_->size());
  for (const auto& v : *tuple_) {
    KERAUNOS_TYPE_CHECK(v.is_int(), "expected a tuple of ints");
    out.push_back(v.as_int());
  }
  return out;
}

bool Value::operator==(const Value& o) const {
  if (kind_ != o.kind_) return false;
  switch (kind_) {
    case Kind::None:
      return true;
    case Kind::Float:
      // Bitwise: -0.0 and 0.0 differ, and a NaN equals the same NaN (CSE relies on this).
      return std::memcmp(&f_, &o.f_, sizeof f_) == 0;
    case Kind::Str:
      return *str_ == *o.str_;
    case Kind::Tuple:
      return *tuple_ == *o.tuple_;
    default:
      return i_ == o.i_;
  }
}

uint64_t Value::hash() const {
  uint64_t h = hash_mix(static_cast<uint64_t>(kind_) + 1);
  switch (kind_) {
    case Kind::None:
      return h;
    case Kind::Float: {
      uint64_t bits;
      std::memcpy(&bits, &f_, sizeof bits);
      return hash_combine(h, bits);
    }
    case Kind::Str:
      return hash_combine(h, hash_string(*str_));
    case Kind::Tuple:
      for (const auto& v : *tuple_) h = hash_combine(h, v.hash());
      return hash_combine(h, tuple_->size());
    default:
      return hash_combine(h, static_cast<uint64_t>(i_));
  }
}

}  // namespace keraunos
