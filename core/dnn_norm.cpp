// Softmax and LayerNorm on oneDNN primitives, one cached per shape.
#include <map>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "core/dnn.hpp"
#include "core/dnn_internal.hpp"

namespace altup::dnn {

using namespace internal;
using dnnl::memory;

// ---------------------------------------------------------------- softmax
namespace {
struct SoftmaxEntry {
    dnnl::softmax_forward::primitive_desc fwd_pd;
    dnnl::softmax_forward fwd;
    dnnl::softmax_backward bwd;
    bool has_bwd = false;
    memory src, dst, diff_dst, diff_src;
};
SoftmaxEntry& softmax_entry(int64_t rows, int64_t cols) {
    static std::map<std::pair<int64_t, int64_t>, SoftmaxEntry> cache;
    const auto key = std::make_pair(rows, cols);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    SoftmaxEntry e;
    const auto md = md2(rows, cols);
    e.fwd_pd = dnnl::softmax_forward::primitive_desc(
        dnnl::softmax_forward::desc(dnnl::prop_kind::forward_training, md, 1), engine());
    e.fwd = dnnl::softmax_forward(e.fwd_pd);
    e.src = memory(md, engine(), nullptr);
    e.dst = memory(md, engine(), nullptr);
    e.diff_dst = memory(md, engine(), nullptr);
    e.diff_src = memory(md, engine(), nullptr);
    count_primitive();
    return cache.emplace(key, std::move(e)).first->second;
}
}  // namespace

void softmax_forward(const float* src, float* dst, int64_t rows, int64_t cols) {
    auto& e = softmax_entry(rows, cols);
    e.src.set_data_handle(mut(src));
    e.dst.set_data_handle(dst);
    e.fwd.execute(stream(), {{DNNL_ARG_SRC, e.src}, {DNNL_ARG_DST, e.dst}});
    stream().wait();
}

void softmax_backward(const float* dst, const float* diff_dst, float* diff_src, int64_t rows, int64_t cols) {
    auto& e = softmax_entry(rows, cols);
    if (!e.has_bwd) {
        const auto md = md2(rows, cols);
        dnnl::softmax_backward::primitive_desc pd(dnnl::softmax_backward::desc(md, md, 1), engine(), e.fwd_pd);
        e.bwd = dnnl::softmax_backward(pd);
        e.has_bwd = true;
        count_primitive();
    }
    e.dst.set_data_handle(mut(dst));
    e.diff_dst.set_data_handle(mut(diff_dst));
    e.diff_src.set_data_handle(diff_src);
    e.bwd.execute(stream(), {{DNNL_ARG_DST, e.dst}, {DNNL_ARG_DIFF_DST, e.diff_dst}, {DNNL_ARG_DIFF_SRC, e.diff_src}});
    stream().wait();
}

// ---------------------------------------------------------------- layernorm
namespace {
struct LayerNormEntry {
    dnnl::layer_normalization_forward::primitive_desc fwd_pd;
    dnnl::layer_normalization_forward fwd;
    dnnl::layer_normalization_backward bwd;
    bool has_bwd = false;
    memory src, dst, mean, var, scale, shift, diff_dst, diff_src, diff_scale, diff_shift;
};
const auto kLnFlags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;

LayerNormEntry& layernorm_entry(int64_t rows, int64_t cols, float eps) {
    static std::map<std::tuple<int64_t, int64_t, float>, LayerNormEntry> cache;
    const auto key = std::make_tuple(rows, cols, eps);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    LayerNormEntry e;
    const auto md = md2(rows, cols);
    e.fwd_pd = dnnl::layer_normalization_forward::primitive_desc(
        dnnl::layer_normalization_forward::desc(dnnl::prop_kind::forward_training, md, eps, kLnFlags), engine());
    e.fwd = dnnl::layer_normalization_forward(e.fwd_pd);
    e.src = memory(md, engine(), nullptr);
    e.dst = memory(md, engine(), nullptr);
    e.diff_dst = memory(md, engine(), nullptr);
    e.diff_src = memory(md, engine(), nullptr);
    e.mean = memory(e.fwd_pd.mean_desc(), engine(), nullptr);
    e.var = memory(e.fwd_pd.variance_desc(), engine(), nullptr);
    e.scale = memory(md1(cols), engine(), nullptr);
    e.shift = memory(md1(cols), engine(), nullptr);
    e.diff_scale = memory(md1(cols), engine(), nullptr);
    e.diff_shift = memory(md1(cols), engine(), nullptr);
    count_primitive();
    return cache.emplace(key, std::move(e)).first->second;
}
}  // namespace

void layernorm_forward(const float* src, const float* gamma, const float* beta, float* dst, float* mean, float* var,
                       int64_t rows, int64_t cols, float eps) {
    auto& e = layernorm_entry(rows, cols, eps);
    e.src.set_data_handle(mut(src));
    e.dst.set_data_handle(dst);
    e.mean.set_data_handle(mean);
    e.var.set_data_handle(var);
    e.scale.set_data_handle(mut(gamma));
    e.shift.set_data_handle(mut(beta));
    e.fwd.execute(stream(), {{DNNL_ARG_SRC, e.src}, {DNNL_ARG_DST, e.dst}, {DNNL_ARG_MEAN, e.mean},
                             {DNNL_ARG_VARIANCE, e.var}, {DNNL_ARG_SCALE, e.scale}, {DNNL_ARG_SHIFT, e.shift}});
    stream().wait();
}

void layernorm_backward(const float* src, const float* gamma, const float* beta, const float* mean, const float* var,
                        const float* diff_dst, float* diff_src, float* diff_gamma, float* diff_beta, int64_t rows,
                        int64_t cols, float eps) {
    auto& e = layernorm_entry(rows, cols, eps);
    if (!e.has_bwd) {
        const auto md = md2(rows, cols);
        dnnl::layer_normalization_backward::primitive_desc pd(
            dnnl::layer_normalization_backward::desc(dnnl::prop_kind::backward, md, md, eps, kLnFlags), engine(),
            e.fwd_pd);
        e.bwd = dnnl::layer_normalization_backward(pd);
        e.has_bwd = true;
        count_primitive();
    }
    e.src.set_data_handle(mut(src));
    e.mean.set_data_handle(mut(mean));
    e.var.set_data_handle(mut(var));
    e.scale.set_data_handle(mut(gamma));
    e.shift.set_data_handle(mut(beta));  // not read, but 2.6 wants the argument bound
    e.diff_dst.set_data_handle(mut(diff_dst));
    e.diff_src.set_data_handle(diff_src);
    e.diff_scale.set_data_handle(diff_gamma);
    e.diff_shift.set_data_handle(diff_beta);
    e.bwd.execute(stream(), {{DNNL_ARG_SRC, e.src}, {DNNL_ARG_MEAN, e.mean}, {DNNL_ARG_VARIANCE, e.var},
                             {DNNL_ARG_SCALE, e.scale}, {DNNL_ARG_SHIFT, e.shift}, {DNNL_ARG_DIFF_DST, e.diff_dst},
                             {DNNL_ARG_DIFF_SRC, e.diff_src}, {DNNL_ARG_DIFF_SCALE, e.diff_scale},
                             {DNNL_ARG_DIFF_SHIFT, e.diff_shift}});
    stream().wait();
}

}  // namespace altup::dnn
