#include "sweeps/sweep_eta.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "layers/model.hpp"
#include "sweeps/sweep_report.hpp"
#include "util/json_path.hpp"
#include "util/result_file.hpp"

namespace altup {

double trial_training_flops(const Config& cfg) {
    const LanguageModel model(cfg.model, cfg.seed);
    const bool finetune = cfg.finetuning();
    const double steps = finetune ? cfg.finetune.steps : cfg.train.steps;
    const double sequences = finetune ? cfg.finetune.batch : double(cfg.train.batch) * cfg.train.grad_accum;
    return 3.0 * model.forward_flops_per_token(cfg.model.seq_len) * sequences * cfg.model.seq_len * steps;
}

std::vector<double> sweep_training_flops(const SweepExpansion& sweep) {
    std::vector<double> work;
    for (const Trial& t : sweep.trials) {
        try {
            work.push_back(trial_training_flops(t.config));
        } catch (const std::exception&) {
            work.push_back(0);
        }
    }
    return work;
}

void SweepEta::observe(std::size_t i, double fraction, double seconds) {
    if (i >= work_.size() || !(fraction > 0) || !(seconds > 0)) return;
    seen_[i] = {std::min(fraction, 1.0), seconds};
}

std::optional<double> SweepEta::remaining(std::size_t i) const {
    if (i >= work_.size()) return std::nullopt;
    if (auto it = seen_.find(i); it != seen_.end()) return it->second.seconds * (1.0 - it->second.fraction) / it->second.fraction;
    if (!(work_[i] > 0)) return std::nullopt;
    // Trials of the same size: their whole-run time, averaged.
    double same_total = 0, same_count = 0, flops = 0, seconds = 0;
    for (const auto& [j, s] : seen_) {
        if (!(work_[j] > 0)) continue;
        flops += work_[j] * s.fraction;
        seconds += s.seconds;
        if (std::abs(work_[j] - work_[i]) <= 1e-9 * work_[i]) {
            same_total += s.seconds / s.fraction;
            ++same_count;
        }
    }
    if (same_count > 0) return same_total / same_count;
    if (!(flops > 0) || !(seconds > 0)) return std::nullopt;
    return work_[i] / (flops / seconds);
}

std::optional<double> SweepEta::remaining(const std::vector<std::size_t>& left, int jobs) const {
    double total = 0;
    for (std::size_t i : left) {
        const std::optional<double> r = remaining(i);
        if (!r) return std::nullopt;
        total += *r;
    }
    return total / std::max(1, jobs);
}

namespace {

std::string flops_text(double flops) {
    if (flops >= 1e15) return fmt::format("{:.2f} PFLOP", flops / 1e15);
    if (flops >= 1e12) return fmt::format("{:.2f} TFLOP", flops / 1e12);
    return fmt::format("{:.2f} GFLOP", flops / 1e9);
}

}  // namespace

std::string compute_estimate(const SweepExpansion& selected, const std::string& sweep_dir, int jobs, const SweepExpansion* whole) {
    // Indices are the whole sweep's; the selected trials are those to count.
    const SweepExpansion& sweep = whole ? *whole : selected;
    const std::vector<double> work = sweep_training_flops(sweep);
    SweepEta eta(work);
    std::vector<bool> done(sweep.trials.size(), false), chosen(sweep.trials.size(), !whole);
    if (whole)
        for (const Trial& t : selected.trials) chosen[trial_index(sweep, t.id)] = true;
    std::size_t measured = 0;
    for (std::size_t i = 0; i < sweep.trials.size(); ++i) {
        const ResultFile r = read_result_file(sweep_dir + "/" + sweep.trials[i].id + "/result.json");
        if (!r.valid() || r.status != "completed") continue;
        done[i] = true;
        if (const nlohmann::json* wall = find_json_path(r.root, "train.wall_time_s"); wall && wall->is_number()) {
            eta.observe(i, 1.0, wall->get<double>());
            ++measured;
        }
    }
    // Sizes in order of first appearance among the trials still to run.
    struct Size {
        double work;
        std::size_t to_run = 0;
        std::optional<double> seconds;  // one trial's
    };
    std::vector<Size> sizes;
    std::vector<std::size_t> left;
    std::size_t completed = 0;
    for (std::size_t i = 0; i < sweep.trials.size(); ++i) {
        if (!chosen[i]) continue;
        if (done[i]) {
            ++completed;
            continue;
        }
        left.push_back(i);
        auto it = std::find_if(sizes.begin(), sizes.end(), [&](const Size& z) { return z.work == work[i]; });
        if (it == sizes.end()) it = sizes.insert(sizes.end(), Size{work[i], 0, eta.remaining(i)});
        ++it->to_run;
    }
    std::string out = fmt::format("compute: {} trial{} to run, {} completed", left.size(), left.size() == 1 ? "" : "s", completed);
    if (left.empty()) return out + "\n";
    double total_work = 0;
    for (std::size_t i : left) total_work += work[i];
    out += fmt::format("; {} of training in all (analytic FLOPs: 3 x forward)\n", flops_text(total_work));
    for (const Size& z : sizes)
        out += fmt::format("  {:>8} x {:>3}  {}\n", z.work > 0 ? flops_text(z.work) : std::string("? FLOP"), z.to_run,
                           z.seconds ? fmt::format("about {} each", format_duration(*z.seconds)) : std::string("time unknown"));
    const std::optional<double> all = eta.remaining(left, jobs);
    if (all)
        out += fmt::format("estimated: about {} with {} at a time, from this machine's rate as {} completed trial{} here "
                           "measured it (their wall time, evaluation included)\n",
                           format_duration(*all), jobs, measured, measured == 1 ? "" : "s");
    else
        out += "estimated: unknown until a trial of this sweep has completed here (the runner's ETA appears with the "
               "first trial's first logged steps)\n";
    return out;
}

}  // namespace altup
