// Which keys of a resolved config make an experiment what it is. One rule for
// the trial id (experiments/config: config_id) and for the groups of analysis
// (trials that differ only in their seed), which must not link each other.
#pragma once
#include <nlohmann/json.hpp>

namespace altup {

enum class IdentityOf {
    trial,  // the trial id: everything that can change its numbers, seed included
    group,  // analysis groups: as trial, without the seed and the bookkeeping keys
};

// `config` is the resolved config as JSON (result.json's `config`, or
// to_json(Config)). Left out for a trial: the name, where data is cached,
// the thread count (how fast it runs, recorded in result.json's env), which
// checkpoints the folder keeps (train.checkpoint), and the
// finetune section of a pretraining trial (task none: its keys are unused).
// A group also leaves out `seed` and the keys that only say how often to
// checkpoint or log (train.checkpoint_every, train.log_every).
nlohmann::json experiment_identity(nlohmann::json config, IdentityOf of);

}  // namespace altup
