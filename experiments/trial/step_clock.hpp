// The training loop's clock: wall time across resumes, the time of every
// step, and the tokens/s of the log lines. The first steps of a run (oneDNN
// primitive creation, first-touch page faults) are not timed steps, so the
// median reports the steady state (docs/result-files.md, "speed").
#pragma once
#include <chrono>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace altup {

class StepClock {
public:
    // A trial of `steps` steps leaves its first min(5, max(1, steps / 10)) untimed.
    explicit StepClock(int64_t steps);

    // Resume: the wall time and the step times of the runs before this one.
    void restore(double elapsed_s, std::vector<double> step_ms);
    // The loop begins: wall time counts from here (plus what was restored).
    void start();
    void begin_step();
    // The step just done is number `step` (from 1) and moved `tokens` tokens.
    void end_step(int64_t step, double tokens);
    // Tokens per second over the steps since the last call (0 when none).
    double take_window_rate();

    double elapsed_s() const;
    const std::vector<double>& step_ms() const { return step_ms_; }
    double median_ms() const;
    nlohmann::json ms_per_step_json() const;            // {"median", "p10", "p90"}, null when no timed step
    double tokens_per_s(double tokens_per_step) const;  // at the median step time; NaN when no timed step

private:
    using Clock = std::chrono::steady_clock;
    int64_t untimed_steps_;
    double elapsed_before_ = 0;
    Clock::time_point started_ = Clock::now();
    Clock::time_point step_start_ = started_;
    std::vector<double> step_ms_;
    double window_tokens_ = 0, window_s_ = 0;
};

}  // namespace altup
