// The text form of traces.
#include "ir/printer.h"

#include <charconv>
#include <cmath>
#include <sstream>

namespace keraunos {

// Python's repr: the shortest round-trip digits, fixed notation for exponents in [-4, 16),
// scientific with at least two exponent digits otherwise.
std::string print_float(double f) {
  if (std::isnan(f)) return std::signbit(f) ? "-float('nan')" : "float('nan')";
  if (std::isinf(f)) return f > 0 ? "float('inf')" : "-float('inf')";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string sci(buf, p);
  size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  int exp = std::stoi(sci.substr(e + 1));
  bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  std::string out;
  if (exp >= -4 && exp < 16) {
    if (exp < 0) {
      out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    } else {
      size_t int_len = static_cast<size_t>(exp) + 1;
      if (digits.size() <= int_len) {
        out = digits + std::string(int_len - digits.size(), '0') + ".0";
      } else {
        out = digits.substr(0, int_len) + "." + digits.substr(int_len);
      }
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    std::string ex = std::to_string(exp < 0 ? -exp : exp);
    if (ex.size() < 2) ex = "0" + ex;
    out += std::string("e") + (exp < 0 ? "-" : "+") + ex;
  }
  return neg ? "-" + out : out;
}

std::string quote_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

std::string print_value(const Trace& t, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::None:
      return "None";
    case Value::Kind::Bool:
      return v.as_bool() ? "True" : "False";
    case Value::Kind::Int:
      return std::to_string(v.as_int());
    case Value::Kind::Float:
      return print_float(v.as_float());
    case Value::Kind::Str:
      return quote_string(v.as_str());
    case Value::Kind::DType:
      return "torch." + std::string(torch_name(v.as_dtype()));
    case Value::Kind::Device:
      return "torch.device(" + quote_string(v.as_device().to_string()) + ")";
    case Value::Kind::Proxy:
      return t.name_of(v.as_proxy());
    case Value::Kind::Tuple: {
      const auto& items = v.as_tuple();
      std::string s = "(";
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) s += ", ";
        s += print_value(t, items[i]);
      }
      if (items.size() == 1) s += ",";
      return s + ")";
    }
  }
  return "?";
}

std::string print_type(const Trace& t, const ProxyType& ty) {
  if (!ty.is_tensor) {
    const auto& n = ty.number;
    std::string s;
    switch (n.kind) {
      case NumberKind::Bool:
        s = "bool";
        break;
      case NumberKind::Int:
        s = "int";
        break;
      case NumberKind::Float:
        s = "float";
        break;
      case NumberKind::Complex:
        s = "complex";
        break;
    }
    if (n.int_value) s += n.kind == NumberKind::Bool ? (*n.int_value ? " True" : " False") : " " + std::to_string(*n.int_value);
    if (n.float_value) s += " " + print_float(*n.float_value);
    return s;
  }
  const auto& tt = ty.tensor;
  std::string s = tt.device.to_string() + " " + std::string(short_name(tt.dtype)) + "[";
  for (size_t i = 0; i < tt.shape.size(); ++i) {
    if (i) s += ", ";
    const Dim& d = tt.shape[i];
    s += d.is_symbolic() ? t.name_of(d.sym) : std::to_string(d.size);
  }
  s += "]";
  if (tt.requires_grad) s += " requires_grad";
  return s;
}

std::string describe_value(const Trace& t, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Proxy: {
      const auto& ty = t.type(v.as_proxy());
      return (ty.is_tensor ? "tensor " : "number ") + t.name_of(v.as_proxy()) + ": " + print_type(t, ty);
    }
    case Value::Kind::Str:
      return "str " + print_value(t, v);
    case Value::Kind::Int:
      return "int " + print_value(t, v);
    case Value::Kind::Float:
      return "float " + print_value(t, v);
    case Value::Kind::Bool:
      return "bool " + print_value(t, v);
    case Value::Kind::Tuple:
      return "tuple " + print_value(t, v);
    case Value::Kind::DType:
      return "dtype " + print_value(t, v);
    case Value::Kind::Device:
      return "device " + print_value(t, v);
    case Value::Kind::None:
      return "None";
  }
  return "?";
}

namespace {

void print_call(std::ostringstream& os, const Trace& t, const BoundSymbol& b) {
  if (b.sym->variadic) {
    os << b.sym->id << "(";
    for (size_t i = 0; i < b.args.size(); ++i) os << (i ? ", " : "") << print_value(t, b.args[i]);
    os << ")";
    return;
  }
  const auto& ps = b.sym->params;
  // Positional parameters up to the last one that differs from its default; keyword-only
  // parameters only when they differ. Binding fills defaults back in, so this round-trips.
  int last = -1;
  for (size_t i = 0; i < ps.size() && i < b.args.size(); ++i)
    if (!ps[i].kw_only && (!ps[i].default_value || *ps[i].default_value != b.args[i])) last = static_cast<int>(i);
  os << b.sym->id << "(";
  bool first = true;
  for (int i = 0; i <= last; ++i) {
    if (ps[i].kw_only) continue;
    if (!first) os << ", ";
    first = false;
    os << print_value(t, b.args[i]);
  }
  for (size_t i = 0; i < ps.size() && i < b.args.size(); ++i) {
    if (!ps[i].kw_only || (ps[i].default_value && *ps[i].default_value == b.args[i])) continue;
    if (!first) os << ", ";
    first = false;
    os << ps[i].name << "=" << print_value(t, b.args[i]);
  }
  os << ")";
}

void print_line(std::ostringstream& os, const Trace& t, const BoundSymbol& b) {
  for (size_t i = 0; i < b.outputs.size(); ++i) os << (i ? ", " : "") << t.name_of(b.outputs[i]);
  if (!b.outputs.empty()) os << " = ";
  print_call(os, t, b);
  if (b.outputs.empty() && b.tags == 0) return;
  os << "  #";
  for (size_t i = 0; i < b.outputs.size(); ++i)
    os << (i ? ", " : " ") << t.name_of(b.outputs[i]) << ": \"" << print_type(t, t.type(b.outputs[i])) << "\"";
  for (BsymTag tag : kAllBsymTags)
    if (b.has_tag(tag)) os << " @" << bsym_tag_name(tag);
}

void print_rec(std::ostringstream& os, const Trace& t, const BoundSymbol& b, int depth, int max_depth, bool first_line) {
  if (!first_line) os << "\n";
  os << std::string(static_cast<size_t>(2 + 2 * depth), ' ');
  if (depth > 0) os << "# ";
  print_line(os, t, b);
  if (max_depth >= 0 && depth >= max_depth) return;
  for (const auto& s : b.subsymbols) print_rec(os, t, s, depth + 1, max_depth, false);
}

int count_lines(const BoundSymbol& b, int depth, int max_depth) {
  int n = 1;
  if (max_depth >= 0 && depth >= max_depth) return n;
  for (const auto& s : b.subsymbols) n += count_lines(s, depth + 1, max_depth);
  return n;
}

}  // namespace

std::string print_bsym(const Trace& t, const BoundSymbol& b, int depth, int max_depth) {
  std::ostringstream os;
  print_rec(os, t, b, depth, max_depth, true);
  std::string s = os.str();
  return s.substr(static_cast<size_t>(2 + 2 * depth) + (depth > 0 ? 2 : 0));
}

std::string print_trace(const Trace& t, const PrintOptions& opts) { return print_trace(t, opts, nullptr); }

std::string print_trace(const Trace& t, const PrintOptions& opts, std::vector<int>* bsym_lines) {
  std::ostringstream os;
  os << "def " << t.name << "(";
  for (size_t i = 0; i < t.inputs.size(); ++i) {
    if (i) os << ", ";
    os << t.name_of(t.inputs[i]) << ": \"" << print_type(t, t.type(t.inputs[i])) << "\"";
  }
  os << "):\n";
  int line = 2;
  if (bsym_lines) bsym_lines->clear();
  for (const auto& b : t.bsyms) {
    if (bsym_lines) bsym_lines->push_back(line);
    print_rec(os, t, b, 0, opts.subsymbol_depth, true);
    os << "\n";
    line += count_lines(b, 0, opts.subsymbol_depth);
  }
  os << "  return (";
  for (size_t i = 0; i < t.outputs.size(); ++i) {
    if (i) os << ", ";
    os << print_value(t, t.outputs[i]);
  }
  if (t.outputs.size() == 1) os << ",";
  os << ")\n";
  return os.str();
}

std::string signature(const Symbol& sym) {
  if (sym.variadic) return sym.id + "(*args)";
  const Trace none;  // defaults are literals: no proxies to name
  std::string s = sym.id + "(";
  bool star = false;
  for (size_t i = 0; i < sym.params.size(); ++i) {
    const Param& p = sym.params[i];
    if (i) s += ", ";
    if (p.kw_only && !star) {
      s += "*, ";
      star = true;
    }
    std::string_view kind = param_kind_name(p.kind);  // "a tensor or a number" -> "tensor or a number"
    if (kind.rfind("a ", 0) == 0) kind.remove_prefix(2);
    if (kind.rfind("an ", 0) == 0) kind.remove_prefix(3);
    s += p.name + ": " + std::string(kind);
    if (p.default_value) s += " = " + print_value(none, *p.default_value);
  }
  return s + ")";
}

}  // namespace keraunos
