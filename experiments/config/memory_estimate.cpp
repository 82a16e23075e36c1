#include "experiments/config/memory_estimate.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace altup {

MemoryEstimate estimate_memory(const Config& c) {
    const ModelConfig& m = c.model;
    constexpr double kFloat = 4;
    // Sizes as the model builds them (layers/model.cpp): width_mult widens d, d_ff and heads.
    const double d = double(m.d_model) * m.width_mult, d_ff = double(m.d_ff) * m.width_mult;
    const double heads = double(m.heads) * m.width_mult, K = m.altup.k, V = m.vocab, T = m.seq_len, L = m.layers;
    const VariantKind variant = variant_kind(m);
    const double embedding_width = d * embedding_blocks(variant, m), head_width = d * readout_blocks(variant, m);
    // MoE replaces the FFN of layers l with (l + 1) % every == 0.
    const double moe_layers = m.moe.experts > 0 ? double(m.layers / m.moe.every) : 0;
    const double E = m.moe.experts;

    MemoryEstimate e;
    e.parameters = V * embedding_width + T * d + V * head_width + L * 4 * d * d +
                   (L - moe_layers) * 2 * d * d_ff + moe_layers * (E * 2 * d * d_ff + d * E);
    const double copies = c.train.optimizer == OptimizerKind::adamw ? 4 : 2;
    e.state_bytes = copies * e.parameters * kFloat;

    const bool finetuning = c.finetuning();
    const double B = finetuning ? c.finetune.batch : c.train.batch;
    const double tokens = T / m.sequence_altup.stride;  // what each layer computes on
    const double per_layer = B * T * K * d + B * tokens * (4 * d + d_ff) + B * heads * tokens * tokens;
    e.activation_bytes = L * per_layer * kFloat;
    e.logits_bytes = 2 * B * T * V * kFloat;

    const double Be = c.eval.batch;
    e.eval_bytes = (e.parameters + Be * T * K * d + Be * T * V) * kFloat;
    return e;
}

uint64_t physical_memory_bytes() {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
    if (pages > 0 && page > 0) return uint64_t(pages) * uint64_t(page);
    std::ifstream meminfo("/proc/meminfo");
    for (std::string line; std::getline(meminfo, line);) {
        std::istringstream fields(line);
        std::string name;
        uint64_t kib = 0;
        if (fields >> name >> kib && name == "MemTotal:") return kib * 1024;
    }
    return 0;
}

}  // namespace altup
