// ATen kernels for torch-level shape, indexing and creation ops: one call each of the ATen function
// torch calls, so views stay views and results are eager's. Random creation ops keep their
// decomposition (keraunos draws from its own Philox stream; see the declines at the end).
#include "executors/torch/kernel.h"

namespace keraunos::aten {
namespace {

using K = AtenKernel;

// Multi-output ops write as many outputs as the trace has.
void outs(const K& k, ExecFrame& f, const std::vector<at::Tensor>& v) {
  KERAUNOS_CHECK(v.size() == k.num_outputs(), k.op(), ": ATen returned ", v.size(), " tensors, the trace expects ", k.num_outputs());
  for (size_t i = 0; i < v.size(); ++i) k.out(f, i, v[i]);
}

KERAUNOS_ATEN_KERNEL(t_reshape, input, shape) { k.out(f, 0, at::reshape(k.T(f, input), k.Ints(f, shape))); }
KERAUNOS_ATEN_KERNEL(t_view, input, size) { k.out(f, 0, k.T(f, input).view(k.Ints(f, size))); }
KERAUNOS_ATEN_KERNEL(t_flatten, input, start_dim, end_dim) {
  k.out(f, 0, at::flatten(k.T(f, input), k.Int(f, start_dim), k.Int(f, end_dim)));
}
KERAUNOS_ATEN_KERNEL(t_unflatten, input, dim, sizes) { k.out(f, 0, at::unflatten(k.T(f, input), k.Int(f, dim), k.Ints(f, sizes))); }
KERAUNOS_ATEN_KERNEL(t_unsqueeze, input, dim) { k.out(f, 0, at::unsqueeze(k.T(f, input), k.Int(f, dim))); }
KERAUNOS_ATEN_KERNEL(t_squeeze, input, dim) {
  if (k.is_none(dim)) return k.out(f, 0, at::squeeze(k.T(f, input)));
  k.out(f, 0, at::squeeze(k.T(f, input), k.Ints(f, dim)));
}
KERAUNOS_ATEN_KERNEL(t_permute, input, dims) { k.out(f, 0, at::permute(k.T(f, input), k.Ints(f, dims))); }
KERAUNOS_ATEN_KERNEL(t_transpose, input, dim0, dim1) { k.out(f, 0, at::transpose(k.T(f, input), k.Int(f, dim0), k.Int(f, dim1))); }
KERAUNOS_ATEN_KERNEL(t_swapaxes, input, axis0, axis1) { k.out(f, 0, at::transpose(k.T(f, input), k.Int(f, axis0), k.Int(f, axis1))); }
KERAUNOS_ATEN_KERNEL(t_t, input) { k.out(f, 0, at::t(k.T(f, input))); }
KERAUNOS_ATEN_KERNEL(t_movedim, input, source, destination) {
  k.out(f, 0, at::movedim(k.T(f, input), k.Ints(f, source), k.Ints(f, destination)));
}
KERAUNOS_ATEN_KERNEL(t_expand, input, size, implicit) { k.out(f, 0, k.T(f, input).expand(k.Ints(f, size), k.B(implicit))); }
KERAUNOS_ATEN_KERNEL(t_broadcast_to, input, size) { k.out(f, 0, at::broadcast_to(k.T(f, input), k.Ints(f, size))); }
KERAUNOS_ATEN_KERNEL(t_expand_as, input, other) { k.out(f, 0, k.T(f, input).expand_as(k.T(f, other))); }
KERAUNOS_ATEN_KERNEL(t_contiguous, input) { k.out(f, 0, k.T(f, input).contiguous()); }
KERAUNOS_ATEN_KERNEL(t_clone, input) { k.out(f, 0, at::clone(k.T(f, input))); }
KERAUNOS_ATEN_KERNEL(t_chunk, input, chunks, dim) { outs(k, f, at::chunk(k.T(f, input), k.Int(f, chunks), k.Int(f, dim))); }
KERAUNOS_ATEN_KERNEL(t_split, tensor, split_size_or_sections, dim) {
  const at::Tensor& x = k.T(f, tensor);
  if (k.is_tuple(split_size_or_sections)) return outs(k, f, at::split_with_sizes(x, k.Ints(f, split_size_or_sections), k.Int(f, dim)));
  outs(k, f, at::split(x, k.Int(f, split_size_or_sections), k.Int(f, dim)));
}
KERAUNOS_ATEN_KERNEL(t_tensor_split, input, indices_or_sections, dim) {
  const at::Tensor& x = k.T(f, input);
  if (k.is_tuple(indices_or_sections))
    return outs(k, f, at::tensor_split(x, at::IntArrayRef(k.Ints(f, indices_or_sections)), k.Int(f, dim)));
  outs(k, f, at::tensor_split(x, k.Int(f, indices_or_sections), k.Int(f, dim)));
}
KERAUNOS_ATEN_KERNEL(t_unbind, input, dim) { outs(k, f, at::unbind(k.T(f, input), k.Int(f, dim))); }
KERAUNOS_ATEN_KERNEL(t_cat, tensors, dim) { k.out(f, 0, at::cat(k.Ts(f, tensors), k.Int(f, dim))); }
KERAUNOS_ATEN_KERNEL(t_stack, tensors, dim) { k.out(f, 0, at::stack(k.Ts(f, tensors), k.Int(f, dim))); }
KERAUNOS_ATEN_KERNEL(t_hstack, tensors) { k.out(f, 0, at::hstack(k.Ts(f, tensors))); }
KERAUNOS_ATEN_KERNEL(t_vstack, tensors) { k.out(f, 0, at::vstack(k.Ts(f, tensors))); }
// atleast_Nd(tensor) or atleast_Nd((tensors...)).
#define KERAUNOS_ATLEAST(n)                                                           \
  KERAUNOS_ATEN_KERNEL(t_atleast_##n##d, tensors) {                                   \
    if (k.is_tuple(tensors)) return outs(k, f, at::atleast_##n##d(k.Ts(f, tensors))); \
    k.out(f, 0, at::atleast_##n##d(k.T(f, tensors)));                                 \
  }
KERAUNOS_ATLEAST(1)
KERAUNOS_ATLEAST(2)
KERAUNOS_ATLEAST(3)
#undef KERAUNOS_ATLEAST
KERAUNOS_ATEN_KERNEL(t_narrow, input, dim, start, length) {
  k.out(f, 0, at::narrow(k.T(f, input), k.Int(f, dim), k.Int(f, start), k.Int(f, length)));
}
KERAUNOS_ATEN_KERNEL(t_select, input, dim, index) { k.out(f, 0, at::select(k.T(f, input), k.Int(f, dim), k.Int(f, index))); }
KERAUNOS_ATEN_KERNEL(t_roll, input, shifts, dims) {
  k.out(f, 0, at::roll(k.T(f, input), k.Ints(f, shifts), k.is_none(dims) ? std::vector<int64_t>{} : k.Ints(f, dims)));
}
KERAUNOS_ATEN_KERNEL(t_repeat, input, repeats) { k.out(f, 0, k.T(f, input).repeat(k.Ints(f, repeats))); }
KERAUNOS_ATEN_KERNEL(t_repeat_interleave, input, repeats, dim, output_size) {
  k.out(f, 0, at::repeat_interleave(k.T(f, input), k.Int(f, repeats), k.OptInt(f, dim), k.OptInt(f, output_size)));
}
KERAUNOS_ATEN_KERNEL(t_flip, input, dims) { k.out(f, 0, at::flip(k.T(f, input), k.Ints(f, dims))); }
KERAUNOS_ATEN_KERNEL(t_tril, input, diagonal) { k.out(f, 0, at::tril(k.T(f, input), k.Int(f, diagonal))); }
KERAUNOS_ATEN_KERNEL(t_triu, input, diagonal) { k.out(f, 0, at::triu(k.T(f, input), k.Int(f, diagonal))); }
KERAUNOS_ATEN_KERNEL(t_masked_fill, input, mask, value) {
  if (k.is_tensor(value)) return k.out(f, 0, at::masked_fill(k.T(f, input), k.T(f, mask), k.T(f, value)));
  k.out(f, 0, at::masked_fill(k.T(f, input), k.T(f, mask), k.S(f, value)));
}
KERAUNOS_ATEN_KERNEL(t_pad, input, pad, mode, value) { k.out(f, 0, at::pad(k.T(f, input), k.Ints(f, pad), k.Str(mode), k.OptF(f, value))); }
KERAUNOS_ATEN_KERNEL(t_index_select, input, dim, index) { k.out(f, 0, at::index_select(k.T(f, input), k.Int(f, dim), k.T(f, index))); }
KERAUNOS_ATEN_KERNEL(t_gather, input, dim, index, sparse_grad) {
  k.out(f, 0, at::gather(k.T(f, input), k.Int(f, dim), k.T(f, index), k.B(sparse_grad)));
}
KERAUNOS_ATEN_KERNEL(t_scatter, input, dim, index, src, value, reduce) {
  const at::Tensor& a = k.T(f, input);
  const int64_t d = k.Int(f, dim);
  const at::Tensor& idx = k.T(f, index);
  if (k.is_tensor(src)) {
    if (k.is_none(reduce)) return k.out(f, 0, at::scatter(a, d, idx, k.T(f, src)));
    return k.out(f, 0, at::scatter(a, d, idx, k.T(f, src), k.Str(reduce)));
  }
  const c10::Scalar v = k.is_none(src) ? k.S(f, value) : k.S(f, src);
  if (k.is_none(reduce)) return k.out(f, 0, at::scatter(a, d, idx, v));
  k.out(f, 0, at::scatter(a, d, idx, v, k.Str(reduce)));
}
KERAUNOS_ATEN_KERNEL(t_scatter_add, input, dim, index, src) {
  k.out(f, 0, at::scatter_add(k.T(f, input), k.Int(f, dim), k.T(f, index), k.T(f, src)));
}
KERAUNOS_ATEN_KERNEL(t_index_add, input, dim, index, source, alpha) {
  k.out(f, 0, at::index_add(k.T(f, input), k.Int(f, dim), k.T(f, index), k.T(f, source), k.S(f, alpha)));
}
KERAUNOS_ATEN_KERNEL(t_index_copy, input, dim, index, source) {
  k.out(f, 0, at::index_copy(k.T(f, input), k.Int(f, dim), k.T(f, index), k.T(f, source)));
}
KERAUNOS_ATEN_KERNEL(t_take_along_dim, input, indices, dim) {
  k.out(f, 0, at::take_along_dim(k.T(f, input), k.T(f, indices), k.OptInt(f, dim)));
}
KERAUNOS_ATEN_KERNEL(t_index_put, input, indices, values, accumulate) {
  c10::List<std::optional<at::Tensor>> list;
  for (const at::Tensor& i : k.Ts(f, indices)) list.push_back(i);
  k.out(f, 0, at::index_put(k.T(f, input), list, k.T(f, values), k.B(accumulate)));
}
KERAUNOS_ATEN_KERNEL(t_one_hot, tensor, num_classes) { k.out(f, 0, at::one_hot(k.T(f, tensor), k.Int(f, num_classes))); }

// Creation: the dtype and device are the trace's output type (defaults already resolved).
KERAUNOS_ATEN_KERNEL(t_zeros, size) { k.out(f, 0, at::zeros(k.Ints(f, size), k.out_options(0))); }
KERAUNOS_ATEN_KERNEL(t_ones, size) { k.out(f, 0, at::ones(k.Ints(f, size), k.out_options(0))); }
KERAUNOS_ATEN_KERNEL(t_empty, size) { k.out(f, 0, at::empty(k.Ints(f, size), k.out_options(0))); }
KERAUNOS_ATEN_KERNEL(t_full, size, fill_value) { k.out(f, 0, at::full(k.Ints(f, size), k.S(f, fill_value), k.out_options(0))); }
KERAUNOS_ATEN_KERNEL(t_zeros_like, a) { k.out(f, 0, at::zeros_like(k.T(f, a), k.out_options(0))); }
KERAUNOS_ATEN_KERNEL(t_ones_like, a) { k.out(f, 0, at::ones_like(k.T(f, a), k.out_options(0))); }
KERAUNOS_ATEN_KERNEL(t_empty_like, a) { k.out(f, 0, at::empty_like(k.T(f, a), k.out_options(0))); }
KERAUNOS_ATEN_KERNEL(t_full_like, a, fill_value) { k.out(f, 0, at::full_like(k.T(f, a), k.S(f, fill_value), k.out_options(0))); }
KERAUNOS_ATEN_KERNEL(t_eye, n, m) {
  if (k.is_none(m)) return k.out(f, 0, at::eye(k.Int(f, n), k.out_options(0)));
  k.out(f, 0, at::eye(k.Int(f, n), k.Int(f, m), k.out_options(0)));
}
KERAUNOS_ATEN_KERNEL(t_arange, start, end, step) {
  if (k.is_none(end)) return k.out(f, 0, at::arange(k.S(f, start), k.out_options(0)));
  k.out(f, 0, at::arange(k.S(f, start), k.S(f, end), k.S(f, step), k.out_options(0)));
}
KERAUNOS_ATEN_KERNEL(t_linspace, start, end, steps) {
  k.out(f, 0, at::linspace(k.S(f, start), k.S(f, end), k.Int(f, steps), k.out_options(0)));
}

bool arg_is_int_tuple(const BoundSymbol& b, const Trace& t, std::string_view param) {
  const Value& v = b.arg(param);
  if (!v.is_tuple()) return false;
  for (const Value& e : v.as_tuple())
    if (!(e.is_int() || (e.is_proxy() && !t.type(e.as_proxy()).is_tensor))) return false;
  return true;
}
bool arg_is_int(const BoundSymbol& b, const Trace& t, std::string_view param) {
  const Value& v = b.arg(param);
  return v.is_int() || (v.is_proxy() && !t.type(v.as_proxy()).is_tensor);
}

}  // namespace

void register_torch_shape_kernels(OperatorExecutor& ex) {
  claim_all(ex, {
                    {"torch.reshape", t_reshape},
                    {"torch.flatten", t_flatten},
                    {"torch.unflatten", t_unflatten},
                    {"torch.unsqueeze", t_unsqueeze},
                    {"torch.squeeze", t_squeeze},
                    {"torch.permute", t_permute},
                    {"torch.transpose", t_transpose},
                    {"torch.swapaxes", t_swapaxes},
                    {"torch.t", t_t},
                    {"torch.movedim", t_movedim},
                    {"torch.Tensor.expand", t_expand},
                    {"torch.broadcast_to", t_broadcast_to},
                    {"torch.Tensor.expand_as", t_expand_as},
                    {"torch.chunk", t_chunk},
                    {"torch.unbind", t_unbind},
                    {"torch.cat", t_cat},
                    {"torch.stack", t_stack},
                    {"torch.hstack", t_hstack},
                    {"torch.vstack", t_vstack},
                    {"torch.atleast_1d", t_atleast_1d},
                    {"torch.atleast_2d", t_atleast_2d},
                    {"torch.atleast_3d", t_atleast_3d},
                    {"torch.roll", t_roll},
                    {"torch.Tensor.repeat", t_repeat},
                    {"torch.flip", t_flip},
                    {"torch.tril", t_tril},
                    {"torch.triu", t_triu},
                    {"torch.masked_fill", t_masked_fill},
                    {"torch.nn.functional.pad", t_pad},
                    {"torch.index_select", t_index_select},
                    {"torch.gather", t_gather},
                    {"torch.scatter", t_scatter},
                    {"torch.scatter_add", t_scatter_add},
                    {"torch.index_add", t_index_add},
                    {"torch.index_copy", t_index_copy},
                    {"torch.take_along_dim", t_take_along_dim},
                    {"torch.Tensor.index_put", t_index_put},
                    {"torch.nn.functional.one_hot", t_one_hot},
                    {"torch.zeros", t_zeros},
                    {"torch.ones", t_ones},
                    {"torch.empty", t_empty},
                    {"torch.full", t_full},
                    {"torch.zeros_like", t_zeros_like},
                    {"torch.ones_like", t_ones_like},
                    {"torch.empty_like", t_empty_like},
                    {"torch.full_like", t_full_like},
                    {"torch.eye", t_eye},
                    {"torch.arange", t_arange},
                    {"torch.linspace", t_linspace},
                });

  claim(ex, "torch.Tensor.view", t_view, [](const BoundSymbol& b, const Trace& t) {
    return arg_is_int_tuple(b, t, "size") ? Decision::yes() : Decision::no("view(dtype) reinterprets bytes; only view(shape) runs whole");
  });
  auto memory_format = [](const char* keep) {
    return [keep](const BoundSymbol& b, const Trace&) {
      const Value& v = b.arg("memory_format");
      return v.is_str() && v.as_str() == keep ? Decision::yes() : Decision::no(str("memory_format other than ", keep));
    };
  };
  claim(ex, "torch.Tensor.contiguous", t_contiguous, memory_format("contiguous_format"));
  claim(ex, "torch.clone", t_clone, memory_format("preserve_format"));
  auto int_or_ints = [](const char* param) -> Checker {
    return [param](const BoundSymbol& b, const Trace& t) {
      return arg_is_int(b, t, param) || arg_is_int_tuple(b, t, param) ? Decision::yes() : Decision::no("sections given as a tensor");
    };
  };
  claim(ex, "torch.split", t_split, int_or_ints("split_size_or_sections"));
  claim(ex, "torch.tensor_split", t_tensor_split, int_or_ints("indices_or_sections"));
  claim(ex, "torch.repeat_interleave", t_repeat_interleave, [](const BoundSymbol& b, const Trace& t) {
    return arg_is_int(b, t, "repeats") ? Decision::yes() : Decision::no("repeats given as a tensor (its decomposition uses output_size)");
  });
  auto int_index = [](const char* param) -> Checker {
    return [param](const BoundSymbol& b, const Trace& t) {
      return arg_is_int(b, t, param) ? Decision::yes() : Decision::no(str("the ", param, " is a tensor"));
    };
  };
  claim(ex, "torch.narrow", t_narrow, int_index("start"));
  claim(ex, "torch.select", t_select, int_index("index"));

  const char* philox = "keraunos draws random numbers from its own counter-based (Philox) stream, through the decomposition";
  for (const char* id : {"torch.rand", "torch.rand_like", "torch.randn", "torch.randn_like", "torch.randint", "torch.randint_like",
                         "torch.nn.functional.dropout"})
    ex.register_decline(id, philox);
  ex.register_decline("torch.Tensor.__getitem__", "indexing decomposes into the views and gathers eager makes");
}

}  // namespace keraunos::aten
