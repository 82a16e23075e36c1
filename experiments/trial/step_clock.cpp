#include "experiments/trial/step_clock.hpp"

#include <algorithm>

#include "experiments/trial/run_info.hpp"
#include "util/quantile.hpp"

namespace altup {

StepClock::StepClock(int64_t steps) : untimed_steps_(std::min<int64_t>(5, std::max<int64_t>(1, steps / 10))) {}

void StepClock::restore(double elapsed_s, std::vector<double> step_ms) {
    elapsed_before_ = elapsed_s;
    step_ms_ = std::move(step_ms);
}

void StepClock::start() { started_ = Clock::now(); }

void StepClock::begin_step() { step_start_ = Clock::now(); }

void StepClock::end_step(int64_t step, double tokens) {
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - step_start_).count();
    if (step > untimed_steps_) step_ms_.push_back(ms);
    window_tokens_ += tokens;
    window_s_ += ms / 1000.0;
}

double StepClock::take_window_rate() {
    const double rate = window_s_ > 0 ? window_tokens_ / window_s_ : 0;
    window_tokens_ = window_s_ = 0;
    return rate;
}

double StepClock::elapsed_s() const { return elapsed_before_ + std::chrono::duration<double>(Clock::now() - started_).count(); }

double StepClock::median_ms() const { return quantile(step_ms_, 0.5); }

nlohmann::json StepClock::ms_per_step_json() const {
    return {{"median", num_or_null(median_ms())}, {"p10", num_or_null(quantile(step_ms_, 0.1))},
            {"p90", num_or_null(quantile(step_ms_, 0.9))}};
}

double StepClock::tokens_per_s(double tokens_per_step) const { return tokens_per_step / (median_ms() / 1000.0); }

}  // namespace altup
