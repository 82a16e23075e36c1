// `--variant-key`, `--baseline` and `--pivot` name a label or a method of the
// analysed trials. A value that matches nothing would silently change the
// tables (no baseline rows, no pivot), so a value given on the command line is
// checked against the trials, with the closest existing name as a hint.
#pragma once
#include <string>

#include "analysis/analysis.hpp"

namespace altup {

// Which of the options the user gave; the defaults may match nothing (a
// folder of standalone runs has no `variant` label), and the tables say so.
struct NamedChoices {
    bool variant_key = false;
    bool baseline = false;
    bool pivot = false;
};

// "" when every given option names something in `analysis`, else the message:
// "unknown --pivot key 'model.prest' (no trial has it); did you mean
// 'model.preset'? keys: variant, model.preset, train.lr".
std::string check_named_choices(const Analysis& analysis, const AnalyzeOptions& options, const NamedChoices& given);

}  // namespace altup
