#include "layers/model_config.hpp"

namespace altup {

const char* to_string(NormKind v) { return v == NormKind::layernorm ? "layernorm" : "rmsnorm"; }
const char* to_string(Activation v) { return v == Activation::gelu ? "gelu" : "relu"; }
const char* to_string(AltUpSelection v) { return v == AltUpSelection::alternating ? "alternating" : "same"; }
const char* to_string(AltUpComputeOn v) { return v == AltUpComputeOn::input ? "input" : "prediction"; }
const char* to_string(AltUpOutput v) {
    switch (v) {
        case AltUpOutput::concat: return "concat";
        case AltUpOutput::sum: return "sum";
        case AltUpOutput::mean: return "mean";
    }
    return "?";
}
const char* to_string(AltUpStyle v) { return v == AltUpStyle::paper ? "paper" : "gemma3n"; }
const char* to_string(SequenceAltUpMode v) { return v == SequenceAltUpMode::predict_correct ? "predict_correct" : "skip"; }
const char* to_string(SequenceAltUpOffset v) { return v == SequenceAltUpOffset::fixed ? "fixed" : "alternating"; }
const char* to_string(VariantKind v) {
    switch (v) {
        case VariantKind::dense: return "dense";
        case VariantKind::altup: return "altup";
        case VariantKind::recycled_altup: return "recycled_altup";
        case VariantKind::gemma3n_altup: return "gemma3n_altup";
    }
    return "?";
}

VariantKind variant_kind(const ModelConfig& m) {
    if (m.altup.k <= 1) return VariantKind::dense;
    if (m.altup.style == AltUpStyle::gemma3n) return VariantKind::gemma3n_altup;
    return m.altup.recycled ? VariantKind::recycled_altup : VariantKind::altup;
}

int embedding_blocks(VariantKind v, const ModelConfig& m) { return v == VariantKind::altup ? m.altup.k : 1; }

int readout_blocks(VariantKind v, const ModelConfig& m) {
    return v == VariantKind::altup && m.altup.output == AltUpOutput::concat ? m.altup.k : 1;
}

namespace {
struct Preset { const char* name; int d, layers; };
constexpr Preset kPresets[] = {
    {"tiny", 128, 2}, {"small", 256, 4}, {"base", 384, 6}, {"large", 512, 8},
};
const char* const kNames[] = {"tiny", "small", "base", "large", nullptr};
}  // namespace

bool apply_preset(const std::string& name, ModelConfig& m) {
    for (const auto& p : kPresets) {
        if (name == p.name) {
            m.preset = name;
            m.d_model = p.d;
            m.layers = p.layers;
            m.heads = p.d / 64;
            m.d_ff = 4 * p.d;
            return true;
        }
    }
    return false;
}

const char* const* preset_names() { return kNames; }

}  // namespace altup
