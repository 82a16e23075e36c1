// With --quiet (a sweep's trial), a plain progress line every
// --progress-every seconds, so that train.log shows where the trial is
// (pretraining and fine-tuning alike). 0 = none.
#pragma once
#include <chrono>

namespace altup {

class QuietProgress {
public:
    explicit QuietProgress(double every_s) : every_(every_s) {}
    // Whether to print a line now; the last step's line (`final`) is always due.
    bool due(bool final) {
        if (!(every_.count() > 0)) return false;
        const auto now = std::chrono::steady_clock::now();
        if (!final && now - last_ < every_) return false;
        last_ = now;
        return true;
    }

private:
    std::chrono::duration<double> every_;
    std::chrono::steady_clock::time_point last_{};  // the first call is due
};

}  // namespace altup
