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

void t_reshape(const K& k, ExecFrame& f) { k.out(f, 0, at::reshape(k.T(f, 0), k.Ints(f, 1))); }
void t_view(const K& k, ExecFrame& f) { k.out(f, 0, k.T(f, 0).view(k.Ints(f, 1))); }
void t_flatten(const K& k, ExecFrame& f) { k.out(f, 0, at::flatten(k.T(f, 0), k.Int(f, 1), k.Int(f, 2))); }
void t_unflatten(const K& k, ExecFrame& f) { k.out(f, 0, at::unflatten(k.T(f, 0), k.Int(f, 1), k.Ints(f, 2))); }
void t_unsqueeze(const K& k, ExecFrame& f) { k.out(f, 0, at::unsqueeze(k.T(f, 0), k.Int(f, 1))); }
void t_squeeze(const K& k, ExecFrame& f) {
  if (k.is_none(1)) return k.out(f, 0, at::squeeze(k.T(f, 0)));
  k.out(f, 0, at::squeeze(k.T(f, 0), k.Ints(f, 1)));
}
void t_permute(const K& k, ExecFrame& f) { k.out(f, 0, at::permute(k.T(f, 0), k.Ints(f, 1))); }
void t_transpose(const K& k, ExecFrame& f) { k.out(f, 0, at::transpose(k.T(f, 0), k.Int(f, 1), k.Int(f, 2))); }
void t_t(const K& k, ExecFrame& f) { k.out(f, 0, at::t(k.T(f, 0))); }
void t_movedim(const K& k, ExecFrame& f) { k.out(f, 0, at::movedim(k.T(f, 0), k.Ints(f, 1), k.Ints(f, 2))); }
void t_expand(const K& k, ExecFrame& f) { k.out(f, 0, k.T(f, 0).expand(k.Ints(f, 1), k.B(2))); }
void t_broadcast_to(const K& k, ExecFrame& f) { k.out(f, 0, at::broadcast_to(k.T(f, 0), k.Ints(f, 1))); }
void t_expand_as(const K& k, ExecFrame& f) { k.out(f, 0, k.T(f, 0).expand_as(k.T(f, 1))); }
void t_contiguous(const K& k, ExecFrame& f) { k.out(f, 0, k.T(f, 0).contiguous()); }
void t_clone(const K& k, ExecFrame& f) { k.out(f, 0, at::clone(k.T(f, 0))); }
void t_chunk(const K& k, ExecFrame& f) { outs(k, f, at::chunk(k.T(f, 0), k.Int(f, 1), k.Int(f, 2))); }
void t_split(const K& k, ExecFrame& f) {
  if (k.is_tuple(1)) return outs(k, f, at::split_with_sizes(k.T(f, 0), k.Ints(f, 1), k.Int(f, 2)));
  outs(k, f, at::split(k.T(f, 0), k.Int(f, 1), k.Int(f, 2)));
}
void t_tensor_split(const K& k, ExecFrame& f) {
  if (k.is_tuple(1)) return outs(k, f, at::tensor_split(k.T(f, 0), at::IntArrayRef(k.Ints(f, 1)), k.Int(f, 2)));
  outs(k, f, at::tensor_split(k.T(f, 0), k.Int(f, 1), k.Int(f, 2)));
}
void t_unbind(const K& k, ExecFrame& f) { outs(k, f, at::unbind(k.T(f, 0), k.Int(f, 1))); }
void t_cat(const K& k, ExecFrame& f) { k.out(f, 0, at::cat(k.Ts(f, 0), k.Int(f, 1))); }
void t_stack(const K& k, ExecFrame& f) { k.out(f, 0, at::stack(k.Ts(f, 0), k.Int(f, 1))); }
void t_hstack(const K& k, ExecFrame& f) { k.out(f, 0, at::hstack(k.Ts(f, 0))); }
void t_vstack(const K& k, ExecFrame& f) { k.out(f, 0, at::vstack(k.Ts(f, 0))); }
template <at::Tensor (*Fn)(const at::Tensor&), std::vector<at::Tensor> (*FnList)(at::TensorList)>
void t_atleast(const K& k, ExecFrame& f) {
  if (k.is_tuple(0)) return outs(k, f, FnList(k.Ts(f, 0)));
  k.out(f, 0, Fn(k.T(f, 0)));
}
void t_narrow(const K& k, ExecFrame& f) { k.out(f, 0, at::narrow(k.T(f, 0), k.Int(f, 1), k.Int(f, 2), k.Int(f, 3))); }
void t_select(const K& k, ExecFrame& f) { k.out(f, 0, at::select(k.T(f, 0), k.Int(f, 1), k.Int(f, 2))); }
void t_roll(const K& k, ExecFrame& f) {
  k.out(f, 0, at::roll(k.T(f, 0), k.Ints(f, 1), k.is_none(2) ? std::vector<int64_t>{} : k.Ints(f, 2)));
}
void t_repeat(const K& k, ExecFrame& f) { k.out(f, 0, k.T(f, 0).repeat(k.Ints(f, 1))); }
void t_repeat_interleave(const K& k, ExecFrame& f) {
  k.out(f, 0, at::repeat_interleave(k.T(f, 0), k.Int(f, 1), k.OptInt(f, 2), k.OptInt(f, 3)));
}
void t_flip(const K& k, ExecFrame& f) { k.out(f, 0, at::flip(k.T(f, 0), k.Ints(f, 1))); }
void t_tril(const K& k, ExecFrame& f) { k.out(f, 0, at::tril(k.T(f, 0), k.Int(f, 1))); }
void t_triu(const K& k, ExecFrame& f) { k.out(f, 0, at::triu(k.T(f, 0), k.Int(f, 1))); }
void t_masked_fill(const K& k, ExecFrame& f) {
  if (k.is_tensor(2)) return k.out(f, 0, at::masked_fill(k.T(f, 0), k.T(f, 1), k.T(f, 2)));
  k.out(f, 0, at::masked_fill(k.T(f, 0), k.T(f, 1), k.S(f, 2)));
}
void t_pad(const K& k, ExecFrame& f) { k.out(f, 0, at::pad(k.T(f, 0), k.Ints(f, 1), k.Str(2), k.OptF(f, 3))); }
void t_index_select(const K& k, ExecFrame& f) { k.out(f, 0, at::index_select(k.T(f, 0), k.Int(f, 1), k.T(f, 2))); }
void t_gather(const K& k, ExecFrame& f) { k.out(f, 0, at::gather(k.T(f, 0), k.Int(f, 1), k.T(f, 2), k.B(3))); }
void t_scatter(const K& k, ExecFrame& f) {
  const at::Tensor& a = k.T(f, 0);
  const int64_t dim = k.Int(f, 1);
  const at::Tensor& index = k.T(f, 2);
  if (k.is_tensor(3)) {
    if (k.is_none(5)) return k.out(f, 0, at::scatter(a, dim, index, k.T(f, 3)));
    return k.out(f, 0, at::scatter(a, dim, index, k.T(f, 3), k.Str(5)));
  }
  const c10::Scalar value = k.is_none(3) ? k.S(f, 4) : k.S(f, 3);
  if (k.is_none(5)) return k.out(f, 0, at::scatter(a, dim, index, value));
  k.out(f, 0, at::scatter(a, dim, index, value, k.Str(5)));
}
void t_scatter_add(const K& k, ExecFrame& f) { k.out(f, 0, at::scatter_add(k.T(f, 0), k.Int(f, 1), k.T(f, 2), k.T(f, 3))); }
void t_index_add(const K& k, ExecFrame& f) { k.out(f, 0, at::index_add(k.T(f, 0), k.Int(f, 1), k.T(f, 2), k.T(f, 3), k.S(f, 4))); }
void t_index_copy(const K& k, ExecFrame& f) { k.out(f, 0, at::index_copy(k.T(f, 0), k.Int(f, 1), k.T(f, 2), k.T(f, 3))); }
void t_take_along_dim(const K& k, ExecFrame& f) { k.out(f, 0, at::take_along_dim(k.T(f, 0), k.T(f, 1), k.OptInt(f, 2))); }
void t_index_put(const K& k, ExecFrame& f) {
  c10::List<std::optional<at::Tensor>> indices;
  for (const at::Tensor& i : k.Ts(f, 1)) indices.push_back(i);
  k.out(f, 0, at::index_put(k.T(f, 0), indices, k.T(f, 2), k.B(3)));
}
void t_one_hot(const K& k, ExecFrame& f) { k.out(f, 0, at::one_hot(k.T(f, 0), k.Int(f, 1))); }

// Creation: the dtype and device are the trace's output type (defaults already resolved).
void t_zeros(const K& k, ExecFrame& f) { k.out(f, 0, at::zeros(k.Ints(f, 0), k.out_options(0))); }
void t_ones(const K& k, ExecFrame& f) { k.out(f, 0, at::ones(k.Ints(f, 0), k.out_options(0))); }
void t_empty(const K& k, ExecFrame& f) { k.out(f, 0, at::empty(k.Ints(f, 0), k.out_options(0))); }
void t_full(const K& k, ExecFrame& f) { k.out(f, 0, at::full(k.Ints(f, 0), k.S(f, 1), k.out_options(0))); }
void t_zeros_like(const K& k, ExecFrame& f) { k.out(f, 0, at::zeros_like(k.T(f, 0), k.out_options(0))); }
void t_ones_like(const K& k, ExecFrame& f) { k.out(f, 0, at::ones_like(k.T(f, 0), k.out_options(0))); }
void t_empty_like(const K& k, ExecFrame& f) { k.out(f, 0, at::empty_like(k.T(f, 0), k.out_options(0))); }
void t_full_like(const K& k, ExecFrame& f) { k.out(f, 0, at::full_like(k.T(f, 0), k.S(f, 1), k.out_options(0))); }
void t_eye(const K& k, ExecFrame& f) {
  if (k.is_none(1)) return k.out(f, 0, at::eye(k.Int(f, 0), k.out_options(0)));
  k.out(f, 0, at::eye(k.Int(f, 0), k.Int(f, 1), k.out_options(0)));
}
void t_arange(const K& k, ExecFrame& f) {
  if (k.is_none(1)) return k.out(f, 0, at::arange(k.S(f, 0), k.out_options(0)));
  k.out(f, 0, at::arange(k.S(f, 0), k.S(f, 1), k.S(f, 2), k.out_options(0)));
}
void t_linspace(const K& k, ExecFrame& f) { k.out(f, 0, at::linspace(k.S(f, 0), k.S(f, 1), k.Int(f, 2), k.out_options(0))); }

bool arg_is_int_tuple(const BoundSymbol& b, const Trace& t, size_t i) {
  if (!b.args[i].is_tuple()) return false;
  for (const Value& e : b.args[i].as_tuple())
    if (!(e.is_int() || (e.is_proxy() && !t.type(e.as_proxy()).is_tensor))) return false;
  return true;
}
bool arg_is_int(const BoundSymbol& b, const Trace& t, size_t i) {
  return b.args[i].is_int() || (b.args[i].is_proxy() && !t.type(b.args[i].as_proxy()).is_tensor);
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
                    {"torch.swapaxes", t_transpose},
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
                    {"torch.atleast_1d", t_atleast<at::atleast_1d, at::atleast_1d>},
                    {"torch.atleast_2d", t_atleast<at::atleast_2d, at::atleast_2d>},
                    {"torch.atleast_3d", t_atleast<at::atleast_3d, at::atleast_3d>},
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
    return arg_is_int_tuple(b, t, 1) ? Decision::yes() : Decision::no("view(dtype) reinterprets bytes; only view(shape) runs whole");
  });
  auto memory_format = [](size_t i, const char* keep) {
    return [i, keep](const BoundSymbol& b, const Trace&) {
      return b.args[i].is_str() && b.args[i].as_str() == keep ? Decision::yes() : Decision::no(str("memory_format other than ", keep));
    };
  };
  claim(ex, "torch.Tensor.contiguous", t_contiguous, memory_format(1, "contiguous_format"));
  claim(ex, "torch.clone", t_clone, memory_format(1, "preserve_format"));
  Checker int_or_ints = [](const BoundSymbol& b, const Trace& t) {
    return arg_is_int(b, t, 1) || arg_is_int_tuple(b, t, 1) ? Decision::yes() : Decision::no("sections given as a tensor");
  };
  claim(ex, "torch.split", t_split, int_or_ints);
  claim(ex, "torch.tensor_split", t_tensor_split, int_or_ints);
  claim(ex, "torch.repeat_interleave", t_repeat_interleave, [](const BoundSymbol& b, const Trace& t) {
    return arg_is_int(b, t, 1) ? Decision::yes() : Decision::no("repeats given as a tensor (its decomposition uses output_size)");
  });
  Checker int_index = [](const BoundSymbol& b, const Trace& t) {
    return arg_is_int(b, t, 2) ? Decision::yes() : Decision::no("the index is a tensor");
  };
  claim(ex, "torch.narrow", t_narrow, int_index);
  claim(ex, "torch.select", t_select, int_index);

  const char* philox = "keraunos draws random numbers from its own counter-based (Philox) stream, through the decomposition";
  for (const char* id : {"torch.rand", "torch.rand_like", "torch.randn", "torch.randn_like", "torch.randint", "torch.randint_like",
                         "torch.nn.functional.dropout"})
    ex.register_decline(id, philox);
  ex.register_decline("torch.Tensor.__getitem__", "indexing decomposes into the views and gathers eager makes");
}

}  // namespace keraunos::aten
