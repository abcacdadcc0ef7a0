// Torch-level contractions: matmul, mm, bmm, dot, outer, addmm, baddbmm, nn.functional.linear and
// einsum. Operand dtypes must agree as torch requires (torch does not promote in contractions);
// prims.matmul follows torch.matmul's rank rules and accumulates like torch's kernels, so
// float16/bfloat16 products go to it directly. addmm/baddbmm compute their alpha/beta epilogue in
// float32 for low precision and round once, like torch's CPU gemm.
#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <optional>

#include "ops/meta_utils.h"
#include "ops/prims/prims.h"
#include "ops/torch/op_helpers.h"
#include "ops/torch/promotion.h"
#include "ops/torch/torch_ops.h"

namespace keraunos::ops {
namespace {

using namespace op_helpers;

constexpr Composites composite{kTagMatmul};

using Args = std::vector<Value>;

bool not_one(const Dim& d) { return d.is_symbolic() || d.size != 1; }

Value permute(Recorder& r, const Value& v, const std::vector<int64_t>& perm) {
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i) identity = identity && perm[i] == static_cast<int64_t>(i);
  if (identity) return v;
  return call(r, PrimId::transpose, {v, Value::ints(perm)});
}

// torch.sum(v, dims, keepdim=True): bool and integers accumulate in int64, low precision in float32.
Value torch_sum_keep(Recorder& r, const Value& v, const std::vector<int64_t>& dims) {
  const TensorType tt = tt_of(r, v);
  DType out = is_exact(tt.dtype) ? DType::Int64 : tt.dtype;
  Value x = to_dtype(r, v, compute_dtype(out));
  Value s = call(r, PrimId::sum, {x, Value::ints(dims)});
  Shape keep = tt.shape;
  for (int64_t d : dims) keep[static_cast<size_t>(d)] = Dim::constant(1);
  return to_dtype(r, reshape(r, s, keep), out);
}

void check_matmul_dtypes(Recorder& r, std::string_view op, const Value& a, const Value& b) {
  DType da = tt_of(r, a).dtype, db = tt_of(r, b).dtype;
  KERAUNOS_TYPE_CHECK(da == db, op, ": expected operands of the same dtype (torch does not promote here), got ", ts(r, a), " and ",
                      ts(r, b));
  KERAUNOS_TYPE_CHECK(!is_bool(da), op, ": bool tensors are not supported (torch has no bool matmul kernel), got ", ts(r, a), " and ",
                      ts(r, b));
  KERAUNOS_TYPE_CHECK(!is_float8(da), op, ": float8 tensors are not supported, got ", ts(r, a));
}

Value bool_zeros(Recorder& r, const Shape& shape, const Value& like) {
  return call(r, PrimId::full, {shape_value(shape), Value::boolean(false)},
              {{"device", Value::device(tt_of(r, like).device)}, {"dtype", Value::dtype(DType::Bool)}});
}

bool is_zero(const Dim& d) { return d.is_constant() && d.size == 0; }
bool no_elements(const Shape& s) {
  auto n = static_numel(s);
  return n && *n == 0;
}

// torch skips its kernels for a product without elements or with an empty inner dimension, so
// such bool products succeed (empty, or all False) although bool matmul is otherwise unsupported
// (except torch.dot's, which has no bool kernel even then).
std::optional<Value> bool_degenerate(Recorder& r, std::string_view op, const Value& a, const Value& b) {
  const TensorType ta = tt_of(r, a);
  const TensorType tb = tt_of(r, b);
  if (ta.dtype != DType::Bool || tb.dtype != DType::Bool || (ta.rank() == 1 && tb.rank() == 1)) return std::nullopt;
  if (ta.rank() == 0 || tb.rank() == 0) return std::nullopt;
  Shape out = matmul_shape(r.trace(), op, ta, tb);
  if (!no_elements(out) && !is_zero(ta.shape.back())) return std::nullopt;
  return bool_zeros(r, out, a);
}

void check_rank(Recorder& r, std::string_view op, const Value& v, int64_t rank, const char* what) {
  KERAUNOS_TYPE_CHECK(tt_of(r, v).rank() == rank, op, ": expected ", what, " to be a ", rank, "-D tensor, got ", ts(r, v));
}

// torch casts alpha/beta to the operands' scalar type: truncation for integers; complex operands
// only for complex tensors (numbers reaching here are real).
Value scalar_for(Recorder& r, std::string_view op, const char* name, const Value& s, DType dt) {
  if (s.is_proxy()) {
    NumberKind k = r.trace().type(s.as_proxy()).number.kind;
    KERAUNOS_TYPE_CHECK(!(is_exact(dt) && (k == NumberKind::Float || k == NumberKind::Complex)), op, ": a symbolic float ", name,
                        " is not supported with integer tensors (torch truncates it to an integer)");
    return s;
  }
  if (is_exact(dt)) {
    if (s.is_float()) return Value::integer(static_cast<int64_t>(s.as_float()));
    if (s.is_bool()) return Value::integer(s.as_bool() ? 1 : 0);
    return s;
  }
  if (s.is_bool()) return Value::floating(s.as_bool() ? 1.0 : 0.0);
  return s;
}

bool is_literal(const Value& v, double x) { return (v.is_int() || v.is_float() || v.is_bool()) && v.as_float() == x; }

// beta * input + alpha * (a @ b), with input broadcast to the product's shape. Like torch's gemm,
// alpha == 0 ignores the product and beta == 0 the input (NaN included).
Value addmm_like(Recorder& r, std::string_view op, const Value& input, const Value& a, const Value& b, const Value& beta_in,
                 const Value& alpha_in) {
  const DType dt = tt_of(r, a).dtype;
  KERAUNOS_TYPE_CHECK(tt_of(r, b).dtype == dt, op, ": expected matrices of the same dtype (torch does not promote here), got ", ts(r, a),
                      " and ", ts(r, b));
  KERAUNOS_TYPE_CHECK(tt_of(r, input).dtype == dt, op, ": input ", ts(r, input), " must have the dtype of the matrices ", ts(r, a),
                      " (torch does not promote here)");
  KERAUNOS_TYPE_CHECK(!is_float8(dt), op, ": float8 tensors are not supported, got ", ts(r, a));
  const Shape out_shape = matmul_shape(r.trace(), op, tt_of(r, a), tt_of(r, b));
  Shape bs = broadcast_shapes(r.trace(), op, {tt_of(r, input).shape, out_shape});
  KERAUNOS_TYPE_CHECK(same_shape(bs, out_shape), op, ": input ", ts(r, input), " does not broadcast to the result shape ",
                      shape_str(r.trace(), out_shape));
  Value beta = scalar_for(r, op, "beta", beta_in, dt);
  Value alpha = scalar_for(r, op, "alpha", alpha_in, dt);
  if (is_bool(dt)) {
    // Only the kernel-free cases work in torch: an empty result, or an empty inner dimension with beta=0.
    KERAUNOS_TYPE_CHECK(no_elements(out_shape) || (is_zero(tt_of(r, a).shape.back()) && is_literal(beta, 0.0)), op,
                        ": bool tensors are not supported (torch has no bool matmul kernel), got ", ts(r, a), " and ", ts(r, b));
    return bool_zeros(r, out_shape, a);
  }
  DType comp = compute_dtype(dt);
  std::optional<Value> acc;
  if (!is_literal(alpha, 0.0)) {
    Value prod = call(r, PrimId::matmul, {to_dtype(r, a, comp), to_dtype(r, b, comp)});
    if (!is_literal(alpha, 1.0)) prod = call(r, PrimId::mul, {prod, alpha});
    acc = prod;
  }
  if (!is_literal(beta, 0.0)) {
    Value in = broadcast_to(r, to_dtype(r, input, comp), out_shape);
    if (!is_literal(beta, 1.0)) in = call(r, PrimId::mul, {in, beta});
    acc = acc ? call(r, PrimId::add, {*acc, in}) : in;
  }
  if (!acc)
    acc = call(r, PrimId::full, {shape_value(out_shape), Value::integer(0)},
               {{"device", Value::device(tt_of(r, a).device)}, {"dtype", Value::dtype(comp)}});
  return to_dtype(r, *acc, dt);
}

// ---------------------------------------------------------------------------------------------
// einsum, following torch's algorithm (aten/src/ATen/native/Linear.cpp) so that the result dtype
// matches too: operands are aligned to one label order, then contracted left to right with
// sums (torch.sum's promotion), products (torch.mul's promotion) or bmm (operands must agree).

constexpr int kLetters = 26;
constexpr int kLabels = 2 * kLetters;
constexpr int kEllipsis = kLabels;

int label_to_subscript(char c) { return std::isupper(static_cast<unsigned char>(c)) ? c - 'A' : c - 'a' + kLetters; }
char subscript_to_label(int s) { return static_cast<char>(s < kLetters ? s + 'A' : s - kLetters + 'a'); }

constexpr const char* kEinsum = "torch.einsum";

// The diagonal of dims p < q (equal constant size n), placed at p.
Value take_diagonal(Recorder& r, const Value& v, int64_t p, int64_t q) {
  const Shape shape = tt_of(r, v).shape;
  const Dim n = shape[static_cast<size_t>(p)];
  KERAUNOS_TYPE_CHECK(n.is_constant(), kEinsum, ": repeated subscripts (diagonals) need constant sizes, got ", ts(r, v));
  std::vector<int64_t> perm;
  Shape rest;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i)
    if (i != p && i != q) {
      perm.push_back(i);
      rest.push_back(shape[static_cast<size_t>(i)]);
    }
  perm.push_back(p);
  perm.push_back(q);
  Value t = permute(r, v, perm);
  Shape flat = rest;
  flat.push_back(Dim::constant(n.size * n.size));
  t = reshape(r, t, flat);
  std::vector<int64_t> start(flat.size(), 0), end, stride(flat.size(), 1);
  for (const auto& d : flat) {
    KERAUNOS_TYPE_CHECK(d.is_constant(), kEinsum, ": repeated subscripts (diagonals) need constant sizes, got ", ts(r, v));
    end.push_back(d.size);
  }
  stride.back() = n.size + 1;
  t = call(r, PrimId::slice, {t, Value::ints(start), Value::ints(end), Value::ints(stride)});
  // Move the diagonal (last) to position p.
  int64_t rank = static_cast<int64_t>(rest.size()) + 1;
  std::vector<int64_t> back;
  for (int64_t i = 0, k = 0; i < rank; ++i) back.push_back(i == p ? rank - 1 : k++);
  return permute(r, t, back);
}

int64_t static_size(Recorder& r, const Value& v, const Dim& d) {
  KERAUNOS_TYPE_CHECK(d.is_constant(), kEinsum, ": symbolic sizes are not supported in contractions, got ", ts(r, v));
  return d.size;
}

Value bmm_checked(Recorder& r, const Value& a, const Value& b) {
  DType da = tt_of(r, a).dtype, db = tt_of(r, b).dtype;
  KERAUNOS_TYPE_CHECK(da == db, kEinsum,
                      ": contracted operands must have the same dtype (torch contracts with bmm, which does not promote), got ", ts(r, a),
                      " and ", ts(r, b));
  if (auto z = bool_degenerate(r, kEinsum, a, b)) return *z;
  KERAUNOS_TYPE_CHECK(!is_bool(da), kEinsum,
                      ": contracting bool operands is not supported (torch contracts with bmm, which has no bool kernel), got ", ts(r, a),
                      " and ", ts(r, b));
  return call(r, PrimId::matmul, {a, b});
}

// torch's sumproduct_pair(left, right, sum_dims, keepdim=true).
Value sumproduct_pair(Recorder& r, Value left, Value right, const std::vector<int64_t>& sum_dims) {
  if (sum_dims.empty()) return elementwise(r, PrimId::mul, {left, right}, Promotion::Default);
  const int64_t dim = tt_of(r, left).rank();
  std::vector<bool> is_sum(static_cast<size_t>(dim), false);
  for (int64_t d : sum_dims) is_sum[static_cast<size_t>(d)] = true;
  std::vector<int64_t> lro, lo, ro;
  int64_t lro_size = 1, lo_size = 1, ro_size = 1, sum_size = 1;
  for (int64_t i = 0; i < dim; ++i) {
    const Dim dl = tt_of(r, left).shape[static_cast<size_t>(i)];
    const Dim dr = tt_of(r, right).shape[static_cast<size_t>(i)];
    bool sl = not_one(dl), sr = not_one(dr);
    if (is_sum[static_cast<size_t>(i)]) {
      if (sl && sr) {
        sum_size *= static_size(r, left, dl);
      } else if (sl) {
        left = torch_sum_keep(r, left, {i});
      } else if (sr) {
        right = torch_sum_keep(r, right, {i});
      }
    } else if (sl && sr) {
      lro.push_back(i);
      lro_size *= static_size(r, left, dl);
    } else if (sl) {
      lo.push_back(i);
      lo_size *= static_size(r, left, dl);
    } else {
      ro.push_back(i);
      ro_size *= static_size(r, right, dr);
    }
  }
  const Shape ls = tt_of(r, left).shape, rs = tt_of(r, right).shape;
  Shape out_size;
  for (int64_t d : lro) out_size.push_back(ls[static_cast<size_t>(d)]);
  for (int64_t d : lo) out_size.push_back(ls[static_cast<size_t>(d)]);
  for (size_t k = 0; k < sum_dims.size(); ++k) out_size.push_back(Dim::constant(1));
  for (int64_t d : ro) out_size.push_back(rs[static_cast<size_t>(d)]);

  std::vector<int64_t> lperm(lro);
  lperm.insert(lperm.end(), lo.begin(), lo.end());
  lperm.insert(lperm.end(), sum_dims.begin(), sum_dims.end());
  lperm.insert(lperm.end(), ro.begin(), ro.end());
  std::vector<int64_t> rperm(lro);
  rperm.insert(rperm.end(), sum_dims.begin(), sum_dims.end());
  rperm.insert(rperm.end(), ro.begin(), ro.end());
  rperm.insert(rperm.end(), lo.begin(), lo.end());
  std::vector<int64_t> operm(static_cast<size_t>(dim), -1);
  {
    int64_t i = 0;
    for (int64_t d : lro) operm[static_cast<size_t>(d)] = i++;
    for (int64_t d : lo) operm[static_cast<size_t>(d)] = i++;
    for (int64_t d : sum_dims) operm[static_cast<size_t>(d)] = i++;
    for (int64_t d : ro) operm[static_cast<size_t>(d)] = i++;
  }
  Value l = reshape(r, permute(r, left, lperm), {Dim::constant(lro_size), Dim::constant(lo_size), Dim::constant(sum_size)});
  Value rr = reshape(r, permute(r, right, rperm), {Dim::constant(lro_size), Dim::constant(sum_size), Dim::constant(ro_size)});
  Value res = bmm_checked(r, l, rr);
  res = reshape(r, res, out_size);
  return permute(r, res, operm);
}

Value einsum(Recorder& r, const std::string& equation, const std::vector<Value>& operands) {
  const Trace& t = r.trace();
  const size_t num_ops = operands.size();
  KERAUNOS_TYPE_CHECK(num_ops > 0, kEinsum, ": must provide at least one operand");
  const auto arrow = equation.find("->");
  const std::string lhs = equation.substr(0, arrow);

  std::vector<std::vector<int>> op_labels(num_ops);
  bool ell_in_input = false;
  size_t curr = 0;
  for (size_t i = 0; i < lhs.size(); ++i) {
    const char c = lhs[i];
    if (c == ' ') continue;
    if (c == '.') {
      KERAUNOS_TYPE_CHECK(!ell_in_input, kEinsum, ": found '.' for operand ", curr, " for which an ellipsis was already found");
      KERAUNOS_TYPE_CHECK(i + 2 < lhs.size() && lhs[i + 1] == '.' && lhs[i + 2] == '.', kEinsum, ": found '.' for operand ", curr,
                          " that is not part of any ellipsis");
      i += 2;
      op_labels[curr].push_back(kEllipsis);
      ell_in_input = true;
    } else if (c == ',') {
      ++curr;
      KERAUNOS_TYPE_CHECK(curr < num_ops, kEinsum, ": fewer operands were provided (", num_ops, ") than specified in the equation '",
                          equation, "'");
      ell_in_input = false;
    } else {
      KERAUNOS_TYPE_CHECK(std::isalpha(static_cast<unsigned char>(c)), kEinsum, ": invalid subscript given at index ", i,
                          " in the equation '", equation, "', subscripts must be in [a-zA-Z]");
      op_labels[curr].push_back(label_to_subscript(c));
    }
  }
  KERAUNOS_TYPE_CHECK(curr == num_ops - 1, kEinsum, ": more operands were provided (", num_ops, ") than specified in the equation '",
                      equation, "'");

  std::array<int64_t, kLabels> label_count{};
  int64_t ell_num_dim = 0;
  for (size_t i = 0; i < num_ops; ++i) {
    KERAUNOS_TYPE_CHECK(is_tensor(t, operands[i]), kEinsum, ": operand ", i, " is not a tensor");
    const int64_t ndims = tt_of(r, operands[i]).rank();
    int64_t nlabels = static_cast<int64_t>(op_labels[i].size());
    bool has_ell = false;
    for (int l : op_labels[i]) {
      if (l == kEllipsis) {
        --nlabels;
        has_ell = true;
        ell_num_dim = std::max(ell_num_dim, ndims - nlabels);
      } else {
        ++label_count[static_cast<size_t>(l)];
      }
    }
    KERAUNOS_TYPE_CHECK(has_ell ? nlabels <= ndims : nlabels == ndims, kEinsum, ": the number of subscripts in the equation (", nlabels,
                        has_ell ? ") is more than the number of dimensions (" : ") does not match the number of dimensions (", ndims,
                        ") for operand ", i, " ", ts(r, operands[i]), has_ell ? "" : " and no ellipsis was given");
  }

  std::array<int64_t, kLabels> label_perm_index;
  label_perm_index.fill(-1);
  int64_t perm_index = 0, ell_index = 0;
  bool ell_in_output = false;
  if (arrow == std::string::npos) {
    perm_index = ell_num_dim;
    ell_in_output = true;
    for (int l = 0; l < kLabels; ++l)
      if (label_count[static_cast<size_t>(l)] == 1) label_perm_index[static_cast<size_t>(l)] = perm_index++;
  } else {
    const std::string rhs = equation.substr(arrow + 2);
    for (size_t i = 0; i < rhs.size(); ++i) {
      const char c = rhs[i];
      if (c == ' ') continue;
      if (c == '.') {
        KERAUNOS_TYPE_CHECK(!ell_in_output, kEinsum, ": found '.' for output but an ellipsis (...) was already found");
        KERAUNOS_TYPE_CHECK(i + 2 < rhs.size() && rhs[i + 1] == '.' && rhs[i + 2] == '.', kEinsum,
                            ": found '.' for output that is not part of any ellipsis (...)");
        i += 2;
        ell_index = perm_index;
        perm_index += ell_num_dim;
        ell_in_output = true;
      } else {
        KERAUNOS_TYPE_CHECK(std::isalpha(static_cast<unsigned char>(c)), kEinsum, ": invalid subscript given at index ", lhs.size() + 2 + i,
                            " in the equation '", equation, "', subscripts must be in [a-zA-Z]");
        const int idx = label_to_subscript(c);
        KERAUNOS_TYPE_CHECK(label_count[static_cast<size_t>(idx)] > 0 && label_perm_index[static_cast<size_t>(idx)] == -1, kEinsum,
                            ": output subscript ", c,
                            label_perm_index[static_cast<size_t>(idx)] > -1 ? " appears more than once in the output"
                                                                            : " does not appear in the equation for any input operand");
        label_perm_index[static_cast<size_t>(idx)] = perm_index++;
      }
    }
  }
  const int64_t out_num_dim = perm_index;
  if (!ell_in_output) {
    ell_index = perm_index;
    perm_index += ell_num_dim;
  }
  for (int l = 0; l < kLabels; ++l)
    if (label_count[static_cast<size_t>(l)] > 0 && label_perm_index[static_cast<size_t>(l)] == -1)
      label_perm_index[static_cast<size_t>(l)] = perm_index++;

  // Align every operand to the permuted label order, taking diagonals for repeated labels.
  std::array<Dim, kLabels> label_size;
  label_size.fill(Dim::constant(1));
  std::vector<Dim> ell_sizes(static_cast<size_t>(ell_num_dim), Dim::constant(1));
  std::vector<uint64_t> dim_counts(static_cast<size_t>(perm_index), 0);
  std::deque<Value> ops;
  auto dim_s = [&](const Dim& d) { return d.is_symbolic() ? t.name_of(d.sym) : std::to_string(d.size); };
  for (size_t i = 0; i < num_ops; ++i) {
    Value op = operands[i];
    std::vector<int64_t> permutation(static_cast<size_t>(perm_index), -1);
    int64_t dim = 0;
    for (int s : op_labels[i]) {
      const Shape shape = tt_of(r, op).shape;
      if (s == kEllipsis) {
        const int64_t ndim = tt_of(r, operands[i]).rank() - (static_cast<int64_t>(op_labels[i].size()) - 1);
        for (int64_t j = ell_num_dim - ndim; j < ell_num_dim; ++j) {
          const Dim d = tt_of(r, op).shape[static_cast<size_t>(dim)];
          if (not_one(d)) {
            Dim& e = ell_sizes[static_cast<size_t>(j)];
            KERAUNOS_TYPE_CHECK(!not_one(e) || e == d, kEinsum, ": dimension ", dim, " covered by ellipsis in operand ", i, " has size ",
                                dim_s(d), " which does not broadcast with previously seen ellipsis with size ", dim_s(e),
                                " for the respective dimension");
            e = d;
            ++dim_counts[static_cast<size_t>(ell_index + j)];
          }
          permutation[static_cast<size_t>(ell_index + j)] = dim++;
        }
      } else if (permutation[static_cast<size_t>(label_perm_index[static_cast<size_t>(s)])] == -1) {
        const Dim d = shape[static_cast<size_t>(dim)];
        if (not_one(d)) {
          Dim& ls = label_size[static_cast<size_t>(s)];
          KERAUNOS_TYPE_CHECK(!not_one(ls) || ls == d, kEinsum, ": subscript ", subscript_to_label(s), " has size ", dim_s(d),
                              " for operand ", i, " which does not broadcast with previously seen size ", dim_s(ls));
          ls = d;
          ++dim_counts[static_cast<size_t>(label_perm_index[static_cast<size_t>(s)])];
        }
        permutation[static_cast<size_t>(label_perm_index[static_cast<size_t>(s)])] = dim++;
      } else {
        const int64_t prev = permutation[static_cast<size_t>(label_perm_index[static_cast<size_t>(s)])];
        KERAUNOS_TYPE_CHECK(shape[static_cast<size_t>(dim)] == shape[static_cast<size_t>(prev)], kEinsum, ": subscript ",
                            subscript_to_label(s), " is repeated for operand ", i, " but the sizes don't match, ",
                            dim_s(shape[static_cast<size_t>(dim)]), " != ", dim_s(shape[static_cast<size_t>(prev)]));
        op = take_diagonal(r, op, prev, dim);
      }
    }
    // Permute the present dims into label order, then insert size-1 dims for missing labels.
    const Shape shape = tt_of(r, op).shape;
    std::vector<int64_t> order;
    Shape full;
    for (int64_t k = 0; k < perm_index; ++k) {
      int64_t src = permutation[static_cast<size_t>(k)];
      if (src >= 0) {
        order.push_back(src);
        full.push_back(shape[static_cast<size_t>(src)]);
      } else {
        full.push_back(Dim::constant(1));
      }
    }
    op = reshape(r, permute(r, op, order), full);
    ops.push_back(op);
  }

  // Contract left to right.
  while (ops.size() > 1) {
    Value a = ops[0], b = ops[1];
    ops.pop_front();
    ops.pop_front();
    std::vector<int64_t> sum_dims, a_sum, b_sum;
    for (int64_t d = out_num_dim; d < perm_index; ++d) {
      bool na = not_one(tt_of(r, a).shape[static_cast<size_t>(d)]), nb = not_one(tt_of(r, b).shape[static_cast<size_t>(d)]);
      auto& cnt = dim_counts[static_cast<size_t>(d)];
      if (na && nb) {
        if (--cnt == 1) {
          sum_dims.push_back(d);
          cnt = 0;
        }
      } else if (cnt == 1) {
        if (na) {
          a_sum.push_back(d);
          cnt = 0;
        } else if (nb) {
          b_sum.push_back(d);
          cnt = 0;
        }
      }
    }
    if (!a_sum.empty()) a = torch_sum_keep(r, a, a_sum);
    if (!b_sum.empty()) b = torch_sum_keep(r, b, b_sum);
    ops.push_front(sumproduct_pair(r, a, b, sum_dims));
  }

  Value res = ops[0];
  if (perm_index - out_num_dim > 0) {
    if (num_ops > 1) {
      Shape s = tt_of(r, res).shape;
      s.resize(static_cast<size_t>(out_num_dim));
      res = reshape(r, res, s);
    } else {
      std::vector<int64_t> dims;
      for (int64_t d = out_num_dim; d < perm_index; ++d) dims.push_back(d);
      Value k = torch_sum_keep(r, res, dims);
      Shape s = tt_of(r, k).shape;
      s.resize(static_cast<size_t>(out_num_dim));
      res = reshape(r, k, s);
    }
  }
  return res;
}

}  // namespace

void register_torch_linalg_ops(SymbolTable& table) {
  table.add(python_facts(composite("torch.matmul", {P("input", ParamKind::Tensor), P("other", ParamKind::Tensor)},
                                   [](Recorder& r, const Args& a) {
                                     if (auto z = bool_degenerate(r, "torch.matmul", a[0], a[1])) return Args{*z};
                                     check_matmul_dtypes(r, "torch.matmul", a[0], a[1]);
                                     return Args{call(r, PrimId::matmul, {a[0], a[1]})};
                                   }),
                         "__matmul__ r:__rmatmul__ autocast=lower"));
  table.add(python_facts(composite("torch.mm", {P("input", ParamKind::Tensor), P("mat2", ParamKind::Tensor)},
                                   [](Recorder& r, const Args& a) {
                                     check_rank(r, "torch.mm", a[0], 2, "input");
                                     check_rank(r, "torch.mm", a[1], 2, "mat2");
                                     if (auto z = bool_degenerate(r, "torch.mm", a[0], a[1])) return Args{*z};
                                     check_matmul_dtypes(r, "torch.mm", a[0], a[1]);
                                     return Args{call(r, PrimId::matmul, {a[0], a[1]})};
                                   }),
                         "autocast=lower"));
  table.add(python_facts(composite("torch.bmm", {P("input", ParamKind::Tensor), P("mat2", ParamKind::Tensor)},
                                   [](Recorder& r, const Args& a) {
                                     check_rank(r, "torch.bmm", a[0], 3, "input");
                                     check_rank(r, "torch.bmm", a[1], 3, "mat2");
                                     KERAUNOS_TYPE_CHECK(tt_of(r, a[0]).shape[0] == tt_of(r, a[1]).shape[0],
                                                         "torch.bmm: batch sizes must match (bmm does not broadcast), got ", ts(r, a[0]),
                                                         " and ", ts(r, a[1]));
                                     if (auto z = bool_degenerate(r, "torch.bmm", a[0], a[1])) return Args{*z};
                                     check_matmul_dtypes(r, "torch.bmm", a[0], a[1]);
                                     return Args{call(r, PrimId::matmul, {a[0], a[1]})};
                                   }),
                         "autocast=lower"));
  table.add(python_facts(composite("torch.dot", {P("input", ParamKind::Tensor), P("tensor", ParamKind::Tensor)},
                                   [](Recorder& r, const Args& a) {
                                     check_rank(r, "torch.dot", a[0], 1, "input");
                                     check_rank(r, "torch.dot", a[1], 1, "tensor");
                                     check_matmul_dtypes(r, "torch.dot", a[0], a[1]);
                                     return Args{call(r, PrimId::matmul, {a[0], a[1]})};
                                   }),
                         "autocast=lower"));
  // outer is a broadcast product in torch: it promotes and takes bool.
  table.add(python_facts(composite(
                             "torch.outer", {P("input", ParamKind::Tensor), P("vec2", ParamKind::Tensor)},
                             [](Recorder& r, const Args& a) {
                               check_rank(r, "torch.outer", a[0], 1, "input");
                               check_rank(r, "torch.outer", a[1], 1, "vec2");
                               Value x = reshape(r, a[0], {tt_of(r, a[0]).shape[0], Dim::constant(1)});
                               Value y = reshape(r, a[1], {Dim::constant(1), tt_of(r, a[1]).shape[0]});
                               return Args{elementwise(r, PrimId::mul, {x, y}, Promotion::Default)};
                             },
                             kTagElementwise),
                         "autocast=lower"));
  table.add(python_facts(composite("torch.addmm",
                                   {P("input", ParamKind::Tensor), P("mat1", ParamKind::Tensor), P("mat2", ParamKind::Tensor),
                                    KW("beta", ParamKind::Number, Value::integer(1)), KW("alpha", ParamKind::Number, Value::integer(1))},
                                   [](Recorder& r, const Args& a) {
                                     check_rank(r, "torch.addmm", a[1], 2, "mat1");
                                     check_rank(r, "torch.addmm", a[2], 2, "mat2");
                                     return Args{addmm_like(r, "torch.addmm", a[0], a[1], a[2], a[3], a[4])};
                                   }),
                         "autocast=lower"));
  table.add(python_facts(composite("torch.baddbmm",
                                   {P("input", ParamKind::Tensor), P("batch1", ParamKind::Tensor), P("batch2", ParamKind::Tensor),
                                    KW("beta", ParamKind::Number, Value::integer(1)), KW("alpha", ParamKind::Number, Value::integer(1))},
                                   [](Recorder& r, const Args& a) {
                                     check_rank(r, "torch.baddbmm", a[1], 3, "batch1");
                                     check_rank(r, "torch.baddbmm", a[2], 3, "batch2");
                                     KERAUNOS_TYPE_CHECK(tt_of(r, a[1]).shape[0] == tt_of(r, a[2]).shape[0],
                                                         "torch.baddbmm: batch sizes must match (baddbmm does not broadcast), got ",
                                                         ts(r, a[1]), " and ", ts(r, a[2]));
                                     return Args{addmm_like(r, "torch.baddbmm", a[0], a[1], a[2], a[3], a[4])};
                                   }),
                         "autocast=lower"));
  // linear(input, weight, bias): input[..., in] @ weight[out, in]^T + bias. torch routes a 2-D
  // weight with bias through addmm (the bias broadcasts to the result) and a 1-D weight through
  // matmul; a 1-D weight with a bias fails in torch when it takes the addmm route (a 2-D input, or
  // a 1-D bias with a contiguous input), which keraunos rejects since it cannot see strides.
  table.add(python_facts(
      composite(
          "torch.nn.functional.linear",
          {P("input", ParamKind::Tensor), P("weight", ParamKind::Tensor), P("bias", ParamKind::OptTensor, Value::none())},
          [](Recorder& r, const Args& a) {
            constexpr const char* op = "torch.nn.functional.linear";
            const TensorType x = tt_of(r, a[0]);
            const TensorType w = tt_of(r, a[1]);
            KERAUNOS_TYPE_CHECK(x.rank() >= 1 && w.rank() >= 1, op, ": both arguments need at least one dimension, got ", ts(r, a[0]),
                                " and ", ts(r, a[1]));
            KERAUNOS_TYPE_CHECK(w.rank() <= 2, op, ": the weight must be 1-D or 2-D, got ", ts(r, a[1]));
            KERAUNOS_TYPE_CHECK(x.shape.back() == w.shape.back(), op, ": input ", ts(r, a[0]), " and weight ", ts(r, a[1]),
                                " disagree on in_features");
            if (x.dtype == DType::Bool && w.dtype == DType::Bool) {
              // torch skips its kernel for an empty result or no features (without a bias).
              Shape out = x.shape;
              out.pop_back();
              if (w.rank() == 2) out.push_back(w.shape[0]);
              if (no_elements(out) || (is_zero(x.shape.back()) && a[2].is_none())) {
                if (!a[2].is_none())
                  KERAUNOS_TYPE_CHECK(tt_of(r, a[2]).dtype == DType::Bool, op, ": bias ", ts(r, a[2]), " must have the dtype of the input ",
                                      ts(r, a[0]));
                return Args{bool_zeros(r, out, a[0])};
              }
            }
            check_matmul_dtypes(r, op, a[0], a[1]);
            if (a[2].is_none()) return Args{call(r, PrimId::linear, {a[0], a[1]})};
            const TensorType b = tt_of(r, a[2]);
            KERAUNOS_TYPE_CHECK(b.dtype == x.dtype, op, ": bias ", ts(r, a[2]), " must have the dtype of the input ", ts(r, a[0]),
                                " (torch does not promote here)");
            int64_t non_unit = 0;
            for (const auto& d : b.shape) non_unit += not_one(d) ? 1 : 0;
            KERAUNOS_TYPE_CHECK(
                !(w.rank() == 1 && (x.rank() == 2 || non_unit == 1 || b.rank() == 1)), op,
                ": a 1-D weight with a bias is not supported: torch adds such a bias through addmm, which needs a 2-D weight (got input ",
                ts(r, a[0]), ", weight ", ts(r, a[1]), ", bias ", ts(r, a[2]), ")");
            Shape expect = w.rank() == 2 ? Shape{w.shape[0]} : Shape{};
            if (same_shape(b.shape, expect) || b.rank() == 0) {
              Value bias = w.rank() == 2 && b.rank() == 0 ? broadcast_to(r, a[2], expect) : a[2];
              if (w.rank() == 2 || b.rank() == 0) return Args{call(r, PrimId::linear, {a[0], a[1], bias})};
            }
            Value out = call(r, PrimId::linear, {a[0], a[1]});
            const Shape os = tt_of(r, out).shape;
            Shape bs = broadcast_shapes(r.trace(), op, {b.shape, os});
            KERAUNOS_TYPE_CHECK(same_shape(bs, os), op, ": bias ", ts(r, a[2]), " does not broadcast to the output shape ",
                                shape_str(r.trace(), os));
            DType comp = compute_dtype(x.dtype);
            Value y = call(r, PrimId::add, {to_dtype(r, out, comp), broadcast_to(r, to_dtype(r, a[2], comp), os)});
            return Args{to_dtype(r, y, x.dtype)};
          }),
      "autocast=lower"));
  // einsum(equation, operands): torch's varargs form einsum(eq, a, b) is normalized to a tuple.
  table.add(python_facts(composite("torch.einsum", {P("equation", ParamKind::Str), P("operands", ParamKind::Tensors)},
                                   [](Recorder& r, const Args& a) {
                                     const auto& ts_ = a[1].as_tuple();
                                     return Args{einsum(r, a[0].as_str(), std::vector<Value>(ts_.begin(), ts_.end()))};
                                   }),
                         "autocast=lower"));
}

}  // namespace keraunos::ops
