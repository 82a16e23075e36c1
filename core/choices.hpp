// The engine's options a trial config names (train.dtype, train.optimizer,
// train.schedule), as enums so that no code compares their spelling.
// to_string gives each one's word in the config and in result files.
#pragma once

namespace altup {

// What matmul inputs are multiplied in (core/dnn.hpp says how bf16 is done).
enum class Precision { f32, bf16 };
enum class OptimizerKind { adamw, adafactor };
enum class ScheduleKind { cosine, rsqrt, constant };

constexpr const char* to_string(Precision p) { return p == Precision::f32 ? "f32" : "bf16"; }
constexpr const char* to_string(OptimizerKind k) { return k == OptimizerKind::adamw ? "adamw" : "adafactor"; }
constexpr const char* to_string(ScheduleKind k) {
    return k == ScheduleKind::cosine ? "cosine" : k == ScheduleKind::rsqrt ? "rsqrt" : "constant";
}

}  // namespace altup
