#include "layers/moe.hpp"

#include <algorithm>
#include <cmath>

#include "core/ops.hpp"

namespace altup {

MoERouting route_tokens(const Tensor& probs, int top_k, double capacity_factor) {
    const int64_t N = probs.dim(0), E = probs.dim(1);
    MoERouting r;
    r.tokens.assign(E, {});
    r.top1.assign(N, 0);
    r.capacity = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(capacity_factor * N * top_k / double(E))));
    std::vector<std::vector<int32_t>> choice(top_k, std::vector<int32_t>(N));
    for (int64_t n = 0; n < N; ++n) {
        const float* p = probs.data() + n * E;
        std::vector<int32_t> order(E);
        for (int64_t e = 0; e < E; ++e) order[e] = static_cast<int32_t>(e);
        // Highest probability first; ties go to the lower expert index.
        std::stable_sort(order.begin(), order.end(), [p](int32_t a, int32_t b) { return p[a] > p[b]; });
        for (int k = 0; k < top_k; ++k) choice[k][n] = order[k];
        r.top1[n] = order[0];
    }
    for (int k = 0; k < top_k; ++k)
        for (int64_t n = 0; n < N; ++n) {
            auto& list = r.tokens[choice[k][n]];
            if (static_cast<int64_t>(list.size()) < r.capacity)
                list.push_back(static_cast<int32_t>(n));
            else
                ++r.dropped;
        }
    for (auto& list : r.tokens) std::sort(list.begin(), list.end());
    return r;
}

Var load_balancing_loss(const Var& probs, const std::vector<int32_t>& top1, int64_t experts) {
    const int64_t N = probs->value.dim(0);
    Tensor f = Tensor::zeros({experts});
    for (auto e : top1) f.data()[e] += 1.0f / float(N);
    Var mean_row = leaf(Tensor::full({1, N}, 1.0f / float(N)));
    Var P = matmul(mean_row, probs);  // [1, E]: mean router probability per expert
    return scale(sum(mul(P, leaf(f))), float(experts));
}

MixtureOfExperts::MixtureOfExperts(ParamStore& store, const std::string& prefix, int64_t d, int64_t d_ff,
                                   Activation act, const MoEConfig& cfg, float init_std, int layers,
                                   Precision precision)
    : cfg_(cfg), precision_(precision) {
    router_ = store.add(prefix + ".router.weight", {cfg.experts, d}, Init::normal, init_std);
    experts_.reserve(cfg.experts);
    for (int e = 0; e < cfg.experts; ++e)
        experts_.emplace_back(store, prefix + ".experts." + std::to_string(e), d, d_ff, act, init_std, layers, precision);
}

Var MixtureOfExperts::forward(const Var& x, Var* aux) {
    const int64_t N = x->value.dim(0), E = cfg_.experts;
    Var probs = softmax(matmul(x, router_, /*trans_b=*/true, precision_));  // [N, E]
    if (!forced_.empty()) {
        last_ = MoERouting{};
        last_.tokens.assign(E, {});
        last_.top1 = forced_;
        last_.capacity = N;
        for (int64_t n = 0; n < N; ++n) last_.tokens[forced_[n]].push_back(static_cast<int32_t>(n));
    } else {
        // Capacity factor E / top_k makes the capacity N: nothing is dropped.
        last_ = route_tokens(probs->value, cfg_.top_k, training_ ? cfg_.capacity_factor : double(E) / cfg_.top_k);
    }
    Var probs_flat = reshape(probs, {N * E, 1});
    Var out;
    for (int64_t e = 0; e < E; ++e) {
        const auto& rows = last_.tokens[e];
        if (rows.empty()) continue;
        std::vector<int32_t> prob_rows(rows.size());
        for (size_t i = 0; i < rows.size(); ++i) prob_rows[i] = static_cast<int32_t>(rows[i] * E + e);
        // Token counts change every step: no primitive per count.
        Var y = experts_[e].forward(gather_rows(x, rows), Rows::varying);
        Var w = reshape(gather_rows(probs_flat, prob_rows), {static_cast<int64_t>(rows.size())});
        Var placed = scatter_add_rows(y, rows, w, N);
        out = out ? add(out, placed) : placed;
    }
    if (!out) out = leaf(Tensor::zeros(x->value.shape()));
    if (aux) {
        Var l = load_balancing_loss(probs, last_.top1, E);
        *aux = *aux ? add(*aux, l) : l;
    }
    return out;
}

}  // namespace altup
