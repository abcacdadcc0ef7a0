// Reads the text form of traces back into a Trace. Works line by line: the signature, then one
// statement per line, subsymbols as comment lines two spaces deeper than their parent.
#include "ir/parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "ir/printer.h"

namespace keraunos {

ParseError::ParseError(int line, int column, const std::string& message)
    : Error(str("line ", line, ", column ", column, ": ", message)), line_(line), column_(column), message_(message) {}

namespace {

enum class Tok { Name, Int, Float, String, Punct, End };

struct Token {
  Tok kind = Tok::End;
  std::string text;  // names, punctuation, string contents
  uint64_t u = 0;    // integer literals, before any leading minus
  double f = 0;
  int col = 0;  // 1-based
};

// Tokenizes one line (or one segment of it). `base_col` is the column of text[0].
class Lexer {
 public:
  Lexer(std::string_view text, int line, int base_col) : s_(text), line_(line), base_(base_col) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    size_t i = 0;
    while (i < s_.size()) {
      char c = s_[i];
      if (c == ' ' || c == '\t') {
        ++i;
        continue;
      }
      Token t;
      t.col = base_ + static_cast<int>(i);
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t j = i;
        while (j < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[j])) || s_[j] == '_')) ++j;
        t.kind = Tok::Name;
        t.text = std::string(s_.substr(i, j - i));
        i = j;
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 (c == '.' && i + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i + 1])))) {
        size_t j = i;
        bool is_float = false;
        while (j < s_.size()) {
          char d = s_[j];
          if (std::isdigit(static_cast<unsigned char>(d))) {
            ++j;
          } else if (d == '.') {
            is_float = true;
            ++j;
          } else if ((d == 'e' || d == 'E') && j + 1 < s_.size()) {
            is_float = true;
            ++j;
            if (s_[j] == '+' || s_[j] == '-') ++j;
          } else {
            break;
          }
        }
        std::string num(s_.substr(i, j - i));
        if (is_float) {
          t.kind = Tok::Float;
          auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), t.f);
          if (ec != std::errc() || p != num.data() + num.size()) fail(t.col, "malformed number '" + num + "'");
        } else {
          t.kind = Tok::Int;
          auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), t.u);
          if (ec != std::errc() || p != num.data() + num.size() || t.u > (uint64_t{1} << 63))
            fail(t.col, "integer '" + num + "' out of range");
        }
        t.text = num;
        i = j;
      } else if (c == '"' || c == '\'') {
        size_t j = i + 1;
        std::string val;
        while (j < s_.size() && s_[j] != c) {
          if (s_[j] == '\\' && j + 1 < s_.size()) {
            char e = s_[j + 1];
            val += e == 'n' ? '\n' : e == 't' ? '\t' : e;
            j += 2;
          } else {
            val += s_[j++];
          }
        }
        if (j >= s_.size()) fail(t.col, "unterminated string");
        t.kind = Tok::String;
        t.text = val;
        i = j + 1;
      } else if (std::string_view("()[]{},=:.@-+*").find(c) != std::string_view::npos) {
        t.kind = Tok::Punct;
        t.text = std::string(1, c);
        ++i;
      } else {
        fail(t.col, std::string("unexpected character '") + c + "'");
      }
      out.push_back(std::move(t));
    }
    Token end;
    end.col = base_ + static_cast<int>(s_.size());
    out.push_back(end);
    return out;
  }

  [[noreturn]] void fail(int col, const std::string& msg) const { throw ParseError(line_, col, msg); }

 private:
  std::string_view s_;
  int line_;
  int base_;
};

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::End:
      return "end of line";
    case Tok::String:
      return "string \"" + t.text + "\"";
    default:
      return "'" + t.text + "'";
  }
}

// Expression tree, resolved against the trace once every definition is known.
struct Expr {
  enum class K { Name, Int, Float, Str, Bool, None, DType, Device, Tuple } k = K::None;
  std::string name;
  int64_t i = 0;
  double f = 0;
  DType dtype = DType::Float32;
  Device device;
  std::vector<Expr> items;
  int col = 0;
};

struct TypeAnno {
  std::string text;
  int col = 0;  // column of the first character inside the quotes
};

struct Stmt {
  int line = 0;
  int depth = 0;
  std::vector<std::pair<std::string, int>> targets;  // name, column
  std::string callee;
  int callee_col = 0;
  std::vector<Expr> args;
  std::vector<std::pair<std::string, Expr>> kwargs;
  std::unordered_map<std::string, TypeAnno> annos;
  uint32_t tags = 0;
  std::vector<std::unique_ptr<Stmt>> children;
};

// Recursive-descent parsing over one line's tokens.
class LineParser {
 public:
  LineParser(std::vector<Token> toks, int line) : t_(std::move(toks)), line_(line) {}

  const Token& peek(size_t k = 0) const { return t_[std::min(pos_ + k, t_.size() - 1)]; }
  const Token& next() { return t_[std::min(pos_++, t_.size() - 1)]; }
  bool at_punct(const char* p) const { return peek().kind == Tok::Punct && peek().text == p; }
  bool at_name(const char* n) const { return peek().kind == Tok::Name && peek().text == n; }
  bool at_end() const { return peek().kind == Tok::End; }

  [[noreturn]] void fail(const Token& at, const std::string& expected) const {
    throw ParseError(line_, at.col, "expected " + expected + " but found " + describe(at));
  }
  void expect_punct(const char* p) {
    if (!at_punct(p)) fail(peek(), std::string("'") + p + "'");
    next();
  }
  std::string expect_name(const char* what = "a name") {
    if (peek().kind != Tok::Name) fail(peek(), what);
    return next().text;
  }
  void expect_end() {
    if (!at_end()) fail(peek(), "end of line");
  }

  // A dotted name: torch.nn.functional.gelu
  std::string dotted() {
    std::string s = expect_name();
    while (at_punct(".")) {
      next();
      s += "." + expect_name("a name after '.'");
    }
    return s;
  }

  Expr expr() {
    Expr e;
    const Token& t = peek();
    e.col = t.col;
    if (at_punct("-")) {
      next();
      if (peek().kind == Tok::Int) {
        e.k = Expr::K::Int;
        e.i = static_cast<int64_t>(0 - next().u);  // two's complement: -2^63 fits
      } else if (peek().kind == Tok::Float) {
        e.k = Expr::K::Float;
        e.f = -next().f;
      } else if (at_name("float")) {
        Expr inner = expr();
        e.k = Expr::K::Float;
        e.f = -inner.f;
      } else {
        fail(peek(), "a number after '-'");
      }
      return e;
    }
    if (t.kind == Tok::Int) {
      if (t.u > static_cast<uint64_t>(INT64_MAX)) throw ParseError(line_, t.col, "integer '" + t.text + "' out of range");
      e.k = Expr::K::Int;
      e.i = static_cast<int64_t>(next().u);
      return e;
    }
    if (t.kind == Tok::Float) {
      e.k = Expr::K::Float;
      e.f = next().f;
      return e;
    }
    if (t.kind == Tok::String) {
      e.k = Expr::K::Str;
      e.name = next().text;
      return e;
    }
    if (at_punct("(")) {
      next();
      e.k = Expr::K::Tuple;
      while (!at_punct(")")) {
        e.items.push_back(expr());
        if (at_punct(",")) {
          next();
        } else if (!at_punct(")")) {
          fail(peek(), "',' or ')'");
        }
      }
      next();
      return e;
    }
    if (t.kind != Tok::Name) fail(t, "an expression");
    std::string name = dotted();
    if (name == "None") {
      e.k = Expr::K::None;
    } else if (name == "True" || name == "False") {
      e.k = Expr::K::Bool;
      e.i = name == "True";
    } else if (name == "float") {
      expect_punct("(");
      const Token& s = peek();
      if (s.kind != Tok::String) fail(s, "'inf' or 'nan'");
      next();
      e.k = Expr::K::Float;
      if (s.text == "inf") {
        e.f = std::numeric_limits<double>::infinity();
      } else if (s.text == "nan") {
        e.f = std::numeric_limits<double>::quiet_NaN();
      } else {
        fail(s, "'inf' or 'nan'");
      }
      expect_punct(")");
    } else if (name == "torch.device") {
      expect_punct("(");
      const Token& s = peek();
      if (s.kind != Tok::String) fail(s, "a device string such as \"cuda:0\"");
      auto d = Device::parse(s.text);
      if (!d) throw ParseError(line_, s.col, "unknown device \"" + s.text + "\"");
      next();
      expect_punct(")");
      e.k = Expr::K::Device;
      e.device = *d;
    } else if (name.rfind("torch.", 0) == 0 && dtype_from_torch_name(name.substr(6))) {
      e.k = Expr::K::DType;
      e.dtype = *dtype_from_torch_name(name.substr(6));
    } else {
      if (name.find('.') != std::string::npos) throw ParseError(line_, e.col, "unknown name '" + name + "'");
      e.k = Expr::K::Name;
      e.name = name;
    }
    return e;
  }

  // name: "type", name: "type", ...  [@tag ...]
  void annotations(Stmt& s) {
    while (!at_end()) {
      if (at_punct("@")) {
        const Token& tt = next();
        std::string tag = expect_name("a tag name");
        auto bt = bsym_tag_from_name(tag);
        if (!bt) throw ParseError(line_, tt.col, "unknown tag '@" + tag + "' (expected @backward, @recompute_in_backward or @dont_dce)");
        s.tags |= *bt;
        continue;
      }
      const Token& nt = peek();
      std::string name = expect_name("an output name or '@tag' in the type comment");
      expect_punct(":");
      if (peek().kind != Tok::String) fail(peek(), "a quoted type such as \"cpu f32[4]\"");
      const Token& ty = next();
      if (s.annos.count(name)) throw ParseError(line_, nt.col, "'" + name + "' is annotated twice");
      s.annos[name] = TypeAnno{ty.text, ty.col + 1};
      if (at_punct(",")) next();
    }
  }

  size_t pos_ = 0;

 private:
  std::vector<Token> t_;
  int line_;
};

// Splits "code  # comment" at the first '#' outside a string.
size_t find_comment(std::string_view s) {
  char q = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (q) {
      if (c == '\\')
        ++i;
      else if (c == q)
        q = 0;
    } else if (c == '"' || c == '\'') {
      q = c;
    } else if (c == '#') {
      return i;
    }
  }
  return std::string_view::npos;
}

class Parser {
 public:
  Parser(std::string_view text, const SymbolTable& symbols) : symbols_(symbols) {
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      std::string_view l = text.substr(start, end - start);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      lines_.push_back(l);
      start = end + 1;
    }
  }

  Trace run() {
    size_t li = 0;
    // Header comments and blank lines before the signature.
    while (li < lines_.size() && (is_blank(lines_[li]) || lines_[li][0] == '#')) ++li;
    if (li >= lines_.size()) throw ParseError(static_cast<int>(li), 1, "expected 'def NAME(...):' but found end of text");
    trace_.signature_line = static_cast<int>(li + 1);
    signature(lines_[li], static_cast<int>(li + 1));
    ++li;
    std::vector<std::unique_ptr<Stmt>> top;
    std::vector<Stmt*> stack;  // open statements by depth
    bool returned = false;
    for (; li < lines_.size(); ++li) {
      std::string_view l = lines_[li];
      int line = static_cast<int>(li + 1);
      if (is_blank(l)) continue;
      size_t indent = l.find_first_not_of(' ');
      std::string_view body = l.substr(indent);
      int col = static_cast<int>(indent) + 1;
      if (indent == 0 && body[0] == '#') continue;  // a comment at column 1
      if (returned) {
        if (body[0] == '#') continue;
        throw ParseError(line, col, "expected end of trace after 'return' but found more text");
      }
      if (indent < 2) throw ParseError(line, col, "expected a statement indented by 2 spaces");
      if (body[0] == '#') {
        if (indent == 2) continue;  // a plain comment
        if ((indent - 2) % 2 != 0) throw ParseError(line, col, "subsymbol indentation must be a multiple of 2");
        int depth = static_cast<int>(indent - 2) / 2;
        if (body.size() < 2 || body[1] != ' ') throw ParseError(line, col + 1, "expected '# ' before a subsymbol");
        if (depth > static_cast<int>(stack.size())) throw ParseError(line, col, "subsymbol is nested deeper than its parent allows");
        auto st = statement(body.substr(2), line, col + 2, depth);
        stack.resize(static_cast<size_t>(depth));
        Stmt* p = st.get();
        stack.back()->children.push_back(std::move(st));
        stack.push_back(p);
        continue;
      }
      if (indent != 2) throw ParseError(line, col, "unexpected indentation (statements are indented by 2 spaces)");
      if (body.substr(0, 6) == "return" && (body.size() == 6 || body[6] == ' ' || body[6] == '(')) {
        ret(body.substr(6), line, col + 6);
        returned = true;
        continue;
      }
      auto st = statement(body, line, col, 0);
      stack.clear();
      stack.push_back(st.get());
      top.push_back(std::move(st));
    }
    if (!returned) throw ParseError(static_cast<int>(lines_.size()), 1, "expected 'return' but found end of text");
    // Definitions first, so uses of later definitions resolve (the verifier reports them).
    for (auto& s : top) define(*s);
    for (auto& s : top) trace_.bsyms.push_back(build(*s));
    for (const auto& e : ret_exprs_) trace_.outputs.push_back(resolve(e, ret_line_));
    return std::move(trace_);
  }

 private:
  static bool is_blank(std::string_view l) { return l.find_first_not_of(" \t") == std::string_view::npos; }

  void signature(std::string_view l, int line) {
    LineParser p(Lexer(l, line, 1).run(), line);
    if (!p.at_name("def")) p.fail(p.peek(), "'def'");
    p.next();
    trace_.name = p.expect_name("the trace's name");
    p.expect_punct("(");
    while (!p.at_punct(")")) {
      const Token& nt = p.peek();
      std::string name = p.expect_name("an input name");
      p.expect_punct(":");
      if (p.peek().kind != Tok::String) p.fail(p.peek(), "a quoted type such as \"cpu f32[4]\"");
      const Token& ty = p.next();
      ProxyType pt = parse_type(ty.text, line, ty.col + 1, /*define_dims=*/true);
      if (auto existing = trace_.find(name)) {
        // A size symbol an earlier input's shape introduced may also be passed as an int input.
        bool is_size_symbol = std::find(trace_.inputs.begin(), trace_.inputs.end(), *existing) == trace_.inputs.end() &&
                              !trace_.type(*existing).is_tensor && pt == trace_.type(*existing);
        if (!is_size_symbol) throw ParseError(line, nt.col, "input '" + name + "' is defined twice");
        trace_.inputs.push_back(*existing);
      } else {
        trace_.inputs.push_back(trace_.new_proxy(std::move(pt), name));
      }
      if (p.at_punct(",")) {
        p.next();
      } else if (!p.at_punct(")")) {
        p.fail(p.peek(), "',' or ')'");
      }
    }
    p.next();
    p.expect_punct(":");
    p.expect_end();
  }

  // "cpu f32[s0, 4] requires_grad" or "int", "float 0.5", "bool True".
  ProxyType parse_type(const std::string& text, int line, int col, bool define_dims) {
    LineParser p(Lexer(text, line, col).run(), line);
    const Token& first = p.peek();
    std::string w = p.expect_name("a type such as \"cpu f32[4]\" or \"int\"");
    if (w == "int" || w == "float" || w == "bool" || w == "complex") {
      NumberType n;
      n.kind = w == "int" ? NumberKind::Int : w == "float" ? NumberKind::Float : w == "bool" ? NumberKind::Bool : NumberKind::Complex;
      if (!p.at_end()) {
        Expr e = p.expr();
        if (n.kind == NumberKind::Int && e.k == Expr::K::Int)
          n.int_value = e.i;
        else if (n.kind == NumberKind::Bool && e.k == Expr::K::Bool)
          n.int_value = e.i;
        else if (n.kind == NumberKind::Float && (e.k == Expr::K::Float))
          n.float_value = e.f;
        else
          throw ParseError(line, e.col, "value does not match the number type '" + w + "'");
      }
      p.expect_end();
      return ProxyType::of(n);
    }
    TensorType t;
    std::string dev = w;
    if (p.at_punct(":")) {
      p.next();
      if (p.peek().kind != Tok::Int) p.fail(p.peek(), "a device index");
      dev += ":" + std::to_string(p.next().u);
    }
    auto d = Device::parse(dev);
    if (!d) throw ParseError(line, first.col, "unknown device '" + dev + "' (expected cpu or cuda:N)");
    t.device = *d;
    const Token& dt = p.peek();
    std::string dts = p.expect_name("a dtype such as f32");
    auto dtype = dtype_from_short_name(dts);
    if (!dtype)
      throw ParseError(
          line, dt.col,
          "unknown dtype '" + dts + "' (expected b8, u8, i8, i16, i32, i64, f16, bf16, f32, f64, c64, c128, f8e4m3 or f8e5m2)");
    t.dtype = *dtype;
    p.expect_punct("[");
    while (!p.at_punct("]")) {
      const Token& dk = p.peek();
      if (dk.kind == Tok::Int) {
        if (dk.u > static_cast<uint64_t>(INT64_MAX)) throw ParseError(line, dk.col, "dimension out of range");
        t.shape.push_back(Dim::constant(static_cast<int64_t>(p.next().u)));
      } else if (dk.kind == Tok::Name) {
        std::string sym = p.next().text;
        auto id = trace_.find(sym);
        if (!id) {
          if (!define_dims) throw ParseError(line, dk.col, "unknown size symbol '" + sym + "'");
          id = trace_.new_size_symbol(sym);
        } else if (trace_.type(*id).is_tensor || trace_.type(*id).number.kind != NumberKind::Int) {
          throw ParseError(line, dk.col, "'" + sym + "' is not an int and cannot be a dimension");
        }
        t.shape.push_back(Dim::symbolic(*id));
      } else {
        p.fail(dk, "a dimension (an int or a size symbol)");
      }
      if (p.at_punct(",")) {
        p.next();
      } else if (!p.at_punct("]")) {
        p.fail(p.peek(), "',' or ']'");
      }
    }
    p.next();
    if (p.at_name("requires_grad")) {
      p.next();
      t.requires_grad = true;
    }
    p.expect_end();
    return ProxyType::of(std::move(t));
  }

  std::unique_ptr<Stmt> statement(std::string_view text, int line, int col, int depth) {
    auto st = std::make_unique<Stmt>();
    st->line = line;
    st->depth = depth;
    size_t hash = find_comment(text);
    std::string_view code = text.substr(0, hash);
    LineParser p(Lexer(code, line, col).run(), line);
    // Targets: "a, b = " (a statement with no outputs starts directly with the callee).
    size_t save = p.pos_;
    bool has_targets = false;
    {
      size_t k = 0;
      while (p.peek(k).kind == Tok::Name && (p.peek(k + 1).kind == Tok::Punct && p.peek(k + 1).text == ",")) k += 2;
      if (p.peek(k).kind == Tok::Name && p.peek(k + 1).kind == Tok::Punct && p.peek(k + 1).text == "=") has_targets = true;
    }
    p.pos_ = save;
    if (has_targets) {
      for (;;) {
        const Token& t = p.next();
        st->targets.emplace_back(t.text, t.col);
        if (p.at_punct(",")) {
          p.next();
          continue;
        }
        p.expect_punct("=");
        break;
      }
    }
    if (p.peek().kind != Tok::Name) p.fail(p.peek(), "a symbol call such as prims.add(a, b)");
    st->callee_col = p.peek().col;
    st->callee = p.dotted();
    p.expect_punct("(");
    bool seen_kw = false;
    while (!p.at_punct(")")) {
      if (p.peek().kind == Tok::Name && p.peek(1).kind == Tok::Punct && p.peek(1).text == "=") {
        std::string k = p.next().text;
        p.next();
        st->kwargs.emplace_back(k, p.expr());
        seen_kw = true;
      } else {
        if (seen_kw) throw ParseError(line, p.peek().col, "positional argument follows keyword argument");
        st->args.push_back(p.expr());
      }
      if (p.at_punct(",")) {
        p.next();
      } else if (!p.at_punct(")")) {
        p.fail(p.peek(), "',' or ')'");
      }
    }
    p.next();
    p.expect_end();
    if (hash != std::string_view::npos) {
      LineParser a(Lexer(text.substr(hash + 1), line, col + static_cast<int>(hash) + 1).run(), line);
      a.annotations(*st);
    }
    return st;
  }

  void ret(std::string_view text, int line, int col) {
    LineParser p(Lexer(text, line, col).run(), line);
    ret_line_ = line;
    if (p.at_end()) return;
    Expr e = p.expr();
    if (e.k == Expr::K::Tuple && !p.at_punct(",")) {
      ret_exprs_ = std::move(e.items);
    } else {
      ret_exprs_.push_back(std::move(e));
      while (p.at_punct(",")) {
        p.next();
        if (p.at_end()) break;
        ret_exprs_.push_back(p.expr());
      }
    }
    p.expect_end();
  }

  void define(const Stmt& s) {
    for (const auto& [name, col] : s.targets) {
      auto it = s.annos.find(name);
      auto existing = trace_.find(name);
      if (it == s.annos.end()) {
        if (existing) continue;
        throw ParseError(s.line, col, "output '" + name + "' has no type; add '# " + name + ": \"<type>\"'");
      }
      ProxyType ty = parse_type(it->second.text, s.line, it->second.col, false);
      if (existing) {
        if (!(trace_.type(*existing) == ty))
          throw ParseError(s.line, it->second.col,
                           "'" + name + "' was given type \"" + print_type(trace_, trace_.type(*existing)) + "\" earlier; here \"" +
                               it->second.text + "\"");
        continue;
      }
      trace_.new_proxy(std::move(ty), name);
    }
    for (const auto& [name, anno] : s.annos) {
      bool is_target = false;
      for (const auto& t : s.targets) is_target |= t.first == name;
      if (!is_target) throw ParseError(s.line, anno.col, "type given for '" + name + "', which this line does not define");
    }
    for (const auto& c : s.children) define(*c);
  }

  Value resolve(const Expr& e, int line) {
    switch (e.k) {
      case Expr::K::Name: {
        auto id = trace_.find(e.name);
        if (!id) throw ParseError(line, e.col, "name '" + e.name + "' is not defined");
        return Value::proxy(*id);
      }
      case Expr::K::Int:
        return Value::integer(e.i);
      case Expr::K::Float:
        return Value::floating(e.f);
      case Expr::K::Str:
        return Value::string(e.name);
      case Expr::K::Bool:
        return Value::boolean(e.i != 0);
      case Expr::K::None:
        return Value::none();
      case Expr::K::DType:
        return Value::dtype(e.dtype);
      case Expr::K::Device:
        return Value::device(e.device);
      case Expr::K::Tuple: {
        std::vector<Value> items;
        for (const auto& i : e.items) items.push_back(resolve(i, line));
        return Value::tuple(std::move(items));
      }
    }
    return {};
  }

  BoundSymbol build(const Stmt& s) {
    BoundSymbol b;
    b.sym = symbols_.find(s.callee);
    if (!b.sym) throw ParseError(s.line, s.callee_col, "unknown symbol '" + s.callee + "'");
    std::vector<Value> args;
    for (const auto& e : s.args) args.push_back(resolve(e, s.line));
    std::vector<std::pair<std::string, Value>> kwargs;
    for (const auto& [k, e] : s.kwargs) kwargs.emplace_back(k, resolve(e, s.line));
    try {
      b.args = bind_arguments(*b.sym, trace_, std::move(args), std::move(kwargs));
    } catch (const TypeError& err) {
      throw ParseError(s.line, s.callee_col, err.what());
    }
    for (const auto& t : s.targets) b.outputs.push_back(*trace_.find(t.first));
    b.tags = s.tags;
    b.line = s.line;
    for (const auto& c : s.children) b.subsymbols.push_back(build(*c));
    return b;
  }

  const SymbolTable& symbols_;
  std::vector<std::string_view> lines_;
  Trace trace_;
  std::vector<Expr> ret_exprs_;
  int ret_line_ = 0;
};

}  // namespace

Trace parse_trace(std::string_view text, const SymbolTable& symbols) { return Parser(text, symbols).run(); }

}  // namespace keraunos
