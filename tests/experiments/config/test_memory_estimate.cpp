// The memory estimate against hand-worked examples (every term counted by
// hand below), and the machine's memory against /proc/meminfo.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "experiments/config/memory_estimate.hpp"

using namespace altup;

namespace {
// d 64, 2 layers, 2 heads, d_ff 256, vocab 1000, seq_len 32, batch 4, eval.batch 8.
Config small_config() {
    Config c;
    c.model.vocab = 1000;
    c.model.d_model = 64;
    c.model.layers = 2;
    c.model.heads = 2;
    c.model.d_ff = 256;
    c.model.seq_len = 32;
    c.train.batch = 4;
    c.eval.batch = 8;
    return c;
}
}  // namespace

TEST_CASE("memory estimate of paper AltUp K=2 with AdamW, worked by hand", "[config][memory]") {
    Config c = small_config();
    c.model.altup.k = 2;
    const MemoryEstimate e = estimate_memory(c);
    // Parameters: token embedding 1000 x (64 x 2) = 128000; positions 32 x 64 = 2048;
    // concat head 1000 x 128 = 128000; attention 2 x 4 x 64^2 = 32768; FFN 2 x 2 x 64 x 256 = 65536.
    CHECK(e.parameters == 128000 + 2048 + 128000 + 32768 + 65536);  // 356352
    // AdamW: weights, gradients and two moments, 4 bytes each.
    CHECK(e.state_bytes == 4.0 * 356352 * 4);  // 5701632
    // Per layer: stream 4 x 32 x 2 x 64 = 16384; q, k, v, out and FFN hidden 4 x 32 x (256 + 256) = 65536;
    // attention probabilities 4 x 2 x 32^2 = 8192. Two layers, 4 bytes.
    CHECK(e.activation_bytes == 2.0 * (16384 + 65536 + 8192) * 4);  // 720896
    // Logits and their gradient: 2 x 4 x 32 x 1000 floats.
    CHECK(e.logits_bytes == 2.0 * 4 * 32 * 1000 * 4);  // 1024000
    // Evaluation: weights + stream 8 x 32 x 128 + logits 8 x 32 x 1000.
    CHECK(e.eval_bytes == (356352.0 + 32768 + 256000) * 4);  // 2580480
    CHECK(e.total_bytes() == 5701632.0 + 720896 + 1024000);  // training is the larger: 7446528
}

TEST_CASE("memory estimate of Recycled-AltUp with MoE, Sequence-AltUp and Adafactor, worked by hand", "[config][memory]") {
    Config c = small_config();
    c.model.altup.k = 2;
    c.model.altup.recycled = true;
    c.model.altup.output = AltUpOutput::sum;
    c.model.moe.experts = 4;
    c.model.moe.every = 2;  // layer 1 of 0..1 is MoE
    c.model.sequence_altup.stride = 2;
    c.train.optimizer = OptimizerKind::adafactor;
    const MemoryEstimate e = estimate_memory(c);
    // Recycled: one d-wide embedding 1000 x 64 and a d-wide head 1000 x 64; positions 2048; attention 32768;
    // the dense layer's FFN 2 x 64 x 256 = 32768; the MoE layer's 4 experts 4 x 32768 plus the router 64 x 4.
    CHECK(e.parameters == 64000 + 2048 + 64000 + 32768 + 32768 + (131072 + 256));  // 326912
    CHECK(e.state_bytes == 2.0 * 326912 * 4);  // Adafactor: weights and gradients
    // Per layer: the stream stays full (4 x 32 x 2 x 64 = 16384); the layer computes 16 of 32 tokens:
    // 4 x 16 x 512 = 32768 and 4 x 2 x 16^2 = 2048.
    CHECK(e.activation_bytes == 2.0 * (16384 + 32768 + 2048) * 4);  // 409600
    CHECK(e.logits_bytes == 1024000);
    CHECK(e.eval_bytes == (326912.0 + 32768 + 256000) * 4);
}

TEST_CASE("a fine-tuning trial is estimated at finetune.batch, and evaluation can dominate", "[config][memory]") {
    Config c = small_config();
    c.finetune.task = FinetuneTask::pos;
    c.finetune.batch = 8;  // twice train.batch: twice the activations and logits
    const MemoryEstimate ft = estimate_memory(c);
    const MemoryEstimate pre = estimate_memory(small_config());
    CHECK(ft.logits_bytes == 2 * pre.logits_bytes);
    CHECK(ft.activation_bytes == 2 * pre.activation_bytes);
    Config e = small_config();
    e.eval.batch = 4096;  // logits alone: 4096 x 32 x 1000 floats = 524 MB, past training's 7 MB
    CHECK(estimate_memory(e).total_bytes() == estimate_memory(e).eval_bytes);
}

TEST_CASE("physical memory agrees with /proc/meminfo", "[config][memory]") {
    std::ifstream meminfo("/proc/meminfo");
    uint64_t kib = 0;
    for (std::string line; std::getline(meminfo, line);) {
        std::istringstream fields(line);
        std::string name;
        if (fields >> name && name == "MemTotal:") fields >> kib;
    }
    if (kib == 0) SUCCEED("no /proc/meminfo here");
    else CHECK(double(physical_memory_bytes()) == Approx(double(kib) * 1024).epsilon(0.01));
}
