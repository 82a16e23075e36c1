// The model's shape and variant, as plain data. layers/ knows nothing of YAML:
// experiments/config parses and validates the user's file into this struct.
#pragma once
#include <string>

namespace altup {

enum class NormKind { layernorm, rmsnorm };
enum class Activation { gelu, relu };
enum class AltUpSelection { alternating, same };     // j* = l mod K, or j* = 0
enum class AltUpComputeOn { input, prediction };     // L(x_{j*}) or L(x̂_{j*})
enum class AltUpOutput { concat, sum, mean };        // K*d head, or reduce blocks to d
enum class AltUpStyle { paper, gemma3n };
enum class SequenceAltUpMode { predict_correct, skip };
// Which tokens a layer computes: positions 0, s, 2s, ... at every layer, or
// positions congruent to l mod s at layer l, so every token passes through
// attention and the FFN at some layer.
enum class SequenceAltUpOffset { fixed, alternating };

struct AltUpConfig {
    int k = 1;                         // 1 = off
    bool recycled = false;             // replicated d-wide embedding, d -> V head
    AltUpSelection selection = AltUpSelection::alternating;
    AltUpComputeOn compute_on = AltUpComputeOn::input;
    AltUpOutput output = AltUpOutput::concat;  // recycled: sum | mean
    AltUpStyle style = AltUpStyle::paper;
};

struct SequenceAltUpConfig {
    int stride = 1;                    // 1 = off; s >= 2 computes every s-th token
    SequenceAltUpMode mode = SequenceAltUpMode::predict_correct;
    SequenceAltUpOffset offset = SequenceAltUpOffset::fixed;
};

struct MoEConfig {
    int experts = 0;                   // 0 = dense FFN
    int top_k = 1;
    int every = 2;                     // layers l with (l + 1) % every == 0 get MoE
    double capacity_factor = 1.25;
    double aux_loss = 0.01;
};

struct ModelConfig {
    std::string preset = "small";
    int vocab = 8192;
    int d_model = 256;
    int layers = 4;
    int heads = 4;
    int d_ff = 1024;
    int seq_len = 128;
    NormKind norm = NormKind::layernorm;
    Activation activation = Activation::gelu;
    int width_mult = 1;                // dense wider baseline: d, d_ff, heads multiplied
    AltUpConfig altup;
    SequenceAltUpConfig sequence_altup;
    MoEConfig moe;
    double init_std = 0.02;
};

// The representation a config builds (layers/variant.hpp), decided here once
// for the model, the memory estimate and the docs: the plain d-wide model
// (AltUp off: k = 1), the paper's AltUp, Recycled-AltUp, or the Gemma 3n-style
// comparison. Sequence-AltUp and MoE change the layers and combine with any.
enum class VariantKind { dense, altup, recycled_altup, gemma3n_altup };
VariantKind variant_kind(const ModelConfig& m);
// Widths in blocks of d: the token embedding's rows, and what the final norm
// and the head read (K for the paper's concatenated output, else 1).
int embedding_blocks(VariantKind v, const ModelConfig& m);
int readout_blocks(VariantKind v, const ModelConfig& m);

// Enum <-> string, used by config parsing, result files and logs.
const char* to_string(NormKind v);
const char* to_string(Activation v);
const char* to_string(AltUpSelection v);
const char* to_string(AltUpComputeOn v);
const char* to_string(AltUpOutput v);
const char* to_string(AltUpStyle v);
const char* to_string(SequenceAltUpMode v);
const char* to_string(SequenceAltUpOffset v);
const char* to_string(VariantKind v);

// Size presets echoing T5's ladder, CPU-sized: d_ff = 4d, 64-wide heads.
// Returns false when the name is unknown.
bool apply_preset(const std::string& name, ModelConfig& m);
const char* const* preset_names();  // nullptr-terminated

}  // namespace altup
