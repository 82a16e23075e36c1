// A mistake found before the trial wrote anything (the folder is another
// trial's, finetune.from names nothing usable): the trial exits kBadConfig
// and records nothing (trial_protocol.hpp).
#pragma once
#include <stdexcept>

namespace altup {

struct TrialRefused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace altup
