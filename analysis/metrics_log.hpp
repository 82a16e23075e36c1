// A trial's metrics.jsonl (docs/result-files.md): one JSON object per line,
// `kind` train | eval | finetune_train | finetune_eval. Read in one place for
// the loader (curves), the loss figures and the curves table.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace altup {

struct LoggedLine {
    std::string kind;
    double step = 0;
    std::optional<double> time_s, loss, lr, tokens_per_s, perplexity;
    std::optional<double> accuracy;  // token_accuracy (eval) or accuracy (finetune_eval)
    std::optional<double> macro_f1;
};

// The lines with a numeric step, in file order; a torn last line (the trainer
// may be appending) and lines that are not objects are skipped. No file: none.
std::vector<LoggedLine> read_metrics_log(const std::string& path);

inline bool is_training_line(const LoggedLine& l) { return l.kind == "train" || l.kind == "finetune_train"; }

}  // namespace altup
