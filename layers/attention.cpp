#include "layers/attention.hpp"

#include <cmath>
#include <stdexcept>

#include "core/ops.hpp"

namespace altup {

Var fused_parameter_view(const ParamStore& store, const Var& first, int64_t rows_total) {
    const ParamInfo* info = store.find(first->name);
    if (!info || !store.finalized()) throw std::logic_error("fused_parameter_view: " + first->name + " is not finalized");
    Shape shape = info->shape;
    shape[0] = rows_total;
    const int64_t n = numel_of(shape);
    if (info->offset + n > store.total()) throw std::logic_error("fused_parameter_view: past the end of the buffer");
    // The parameters it spans must lie back to back (registered with Place::follows).
    const auto& all = store.params();
    int64_t end = info->offset + numel_of(info->shape);
    for (size_t i = static_cast<size_t>(info - all.data()) + 1; end < info->offset + n; ++i) {
        if (i >= all.size() || all[i].offset != end)
            throw std::logic_error("fused_parameter_view: the parameters after " + first->name + " are not back to back");
        end += numel_of(all[i].shape);
    }
    auto v = leaf(store.data().slice0(info->offset, n).reshape(shape), true, first->name + "+fused");
    v->grad = store.grad().slice0(info->offset, n).reshape(shape);
    return v;
}

CausalSelfAttention::CausalSelfAttention(ParamStore& store, const std::string& prefix, int64_t d, int64_t heads,
                                         float init_std, int layers, Precision precision)
    : store_(store), d_(d), heads_(heads), precision_(precision) {
    // q, k, v weights then their biases, registered back to back (see fused_parameter_view).
    q_w_ = store.add(prefix + ".q.weight", {d, d}, Init::normal, init_std);
    using Place = ParamStore::Place;
    store.add(prefix + ".k.weight", {d, d}, Init::normal, init_std, true, Place::follows);
    store.add(prefix + ".v.weight", {d, d}, Init::normal, init_std, true, Place::follows);
    q_b_ = store.add(prefix + ".q.bias", {d}, Init::zeros, 0, false);
    store.add(prefix + ".k.bias", {d}, Init::zeros, 0, false, Place::follows);
    store.add(prefix + ".v.bias", {d}, Init::zeros, 0, false, Place::follows);
    // GPT-2-style scaling of residual projections by 1/sqrt(2 * layers).
    o_w_ = store.add(prefix + ".o.weight", {d, d}, Init::normal, init_std / std::sqrt(2.0f * layers));
    o_b_ = store.add(prefix + ".o.bias", {d}, Init::zeros, 0, false);
}

Var CausalSelfAttention::forward(const Var& x, int64_t B, int64_t T) {
    if (!qkv_w_) {
        qkv_w_ = fused_parameter_view(store_, q_w_, 3 * d_);
        qkv_b_ = fused_parameter_view(store_, q_b_, 3 * d_);
    }
    Var qkv = linear(x, qkv_w_, qkv_b_, Rows::fixed, precision_);  // [B*T, 3d]
    Var merged = causal_attention(qkv, B, T, heads_, precision_);   // [B*T, d], heads merged
    return linear(merged, o_w_, o_b_, Rows::fixed, precision_);
}

}  // namespace altup
