// A speed configuration: the part of a trial's config that sets what one
// training step costs, and its id. This is the one definition, used by
// `altup bench` (which times each speed configuration of a sweep once) and by
// `altup analyze` (which finds a trial's bench figures by this id).
// It reads the resolved config as JSON, the form result.json holds, so that
// analysis needs no config parser.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace altup {

// In: a resolved config as experiments/config's to_json writes it, and the
// thread count the step runs on (result.json's env.threads for a finished
// trial). Out: model.* (but the preset's name: its sizes are explicit),
// train.batch, train.grad_accum, train.optimizer, train.dtype, and threads.
// Left out: seed, steps, learning rate and schedule, eval, data, names, paths.
// Throws std::runtime_error naming the missing key when `resolved` lacks one.
nlohmann::json speed_config(const nlohmann::json& resolved, int threads);

// content_id (util/hash.hpp) of speed_config's canonical JSON: 12 hex digits,
// as a trial id is of its config.
std::string speed_config_id(const nlohmann::json& resolved, int threads);

}  // namespace altup
