#include "layers/sequence_altup.hpp"

#include "core/ops.hpp"

namespace altup {

SequenceAltUpLayer::SequenceAltUpLayer(ParamStore& store, const std::string& prefix, const SequenceAltUpConfig& cfg,
                                       int layer)
    : stride_(cfg.stride), offset_(cfg.offset == SequenceAltUpOffset::alternating ? layer % cfg.stride : 0) {
    if (cfg.mode == SequenceAltUpMode::predict_correct) {
        // a = 1, b = 0, g = 1: a skipped token gets its computed neighbour's update.
        coef_ = store.add_values(prefix + ".coef", {3}, {1.0f, 0.0f, 1.0f}, /*decay=*/false, ParamKind::altup);
    }
}

Var SequenceAltUpLayer::forward(const Var& x, int64_t B, int64_t T,
                                const std::function<Var(const Var&, int64_t)>& layer) const {
    const int64_t Tc = T / stride_;
    std::vector<int32_t> rows;
    rows.reserve(B * Tc);
    for (int64_t b = 0; b < B; ++b)
        for (int64_t m = 0; m < Tc; ++m) rows.push_back(static_cast<int32_t>(b * T + offset_ + m * stride_));
    Var xtilde = layer(gather_rows(x, rows), Tc);
    return sequence_altup_mix(x, xtilde, coef_, B, T, stride_, offset_);
}

}  // namespace altup
