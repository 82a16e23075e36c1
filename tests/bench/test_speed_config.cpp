// The speed-config id: equal for configs that differ in what a step's cost
// does not depend on, different for everything it does.
#include <catch2/catch.hpp>

#include "util/speed_config.hpp"
#include "experiments/config/config_io.hpp"
#include "util/hash.hpp"

using namespace altup;

namespace {
Config tiny() {
    Config c;
    REQUIRE(apply_preset("tiny", c.model));
    c.model.preset = "tiny";
    return c;
}
std::string id(const Config& c, int threads = 2) { return speed_config_id(to_json(c), threads); }
}  // namespace

TEST_CASE("speed-config ids ignore seed, steps, learning rate, schedule, eval, data and names", "[bench][ids]") {
    const Config a = tiny();
    Config b = a;
    b.seed = 7;
    b.train.steps = 12345;
    b.train.lr = 0.5;
    b.train.warmup = 3;
    b.train.schedule = ScheduleKind::constant;
    b.train.weight_decay = 0.3;
    b.eval.every = 7;
    b.eval.batches = 2;
    b.data.tokenizer_type = SentencePieceType::bpe;
    b.data.cache_dir = "/elsewhere";
    b.name = "another-name";
    b.train.checkpoint_every = 9;
    CHECK(config_id(a) != config_id(b));  // different trials...
    CHECK(id(a) == id(b));                // ...with the same step
    CHECK(id(a).size() == 12);
}

TEST_CASE("speed-config ids change with the model, batch, sequence length, dtype, optimizer and threads", "[bench][ids]") {
    const Config a = tiny();
    auto differs = [&](auto change) {
        Config b = a;
        change(b);
        return id(b) != id(a);
    };
    CHECK(differs([](Config& c) { c.model.altup.k = 2; }));
    CHECK(differs([](Config& c) { c.model.d_model = 64; }));
    CHECK(differs([](Config& c) { c.model.moe.experts = 4; }));
    CHECK(differs([](Config& c) { c.model.seq_len = 64; }));
    CHECK(differs([](Config& c) { c.train.batch = 32; }));
    CHECK(differs([](Config& c) { c.train.grad_accum = 2; }));
    CHECK(differs([](Config& c) { c.train.dtype = Precision::bf16; }));
    CHECK(differs([](Config& c) { c.train.optimizer = OptimizerKind::adafactor; }));
    CHECK(id(a, 1) != id(a, 2));
    // The preset's name alone is no change: its sizes are the keys next to it.
    Config renamed = a;
    renamed.model.preset = "small";
    CHECK(id(renamed) == id(a));
}

TEST_CASE("the speed config is the documented sub-config, and its id the trial id's hash of it", "[bench][ids]") {
    const Config a = tiny();
    const nlohmann::json s = speed_config(to_json(a), 3);
    CHECK(s["threads"] == 3);
    CHECK(s["train"] == nlohmann::json({{"batch", a.train.batch}, {"grad_accum", 1}, {"optimizer", "adamw"}, {"dtype", "f32"}}));
    CHECK(s["model"]["d_model"] == 128);
    CHECK_FALSE(s["model"].contains("preset"));
    CHECK(s.size() == 3);
    // FNV-1a 64 of the canonical dump, first 12 hex digits, worked out here without content_id.
    uint64_t h = 1469598103934665603ULL;
    for (unsigned char ch : s.dump()) h = (h ^ ch) * 1099511628211ULL;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    CHECK(speed_config_id(to_json(a), 3) == std::string(hex, 12));
    CHECK_THROWS_WITH(speed_config(nlohmann::json::object(), 1), Catch::Contains("no 'model' section"));
}
