// `altup analyze RUNS_DIR [options]`: argument parsing and exit codes; the
// work is in analysis.cpp (numbers) and report.cpp (formats).
#include "analysis/analyze_command.hpp"

#include <cstdio>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "analysis/analysis.hpp"
#include "analysis/analysis_error.hpp"
#include "analysis/named_choices.hpp"
#include "util/atomic_file.hpp"
#include "util/command_line.hpp"
#include "analysis/report.hpp"
#include "analysis/report_tables.hpp"

namespace altup {
namespace {

constexpr const char* kUsage =
    "usage: altup analyze RUNS_DIR [options]\n"
    "\n"
    "Tables (and figures) from every result.json under RUNS_DIR; see docs/analysis.md.\n"
    "\n"
    "  --format md|csv|latex|json|html  output format (default: from the --output extension\n"
    "                                   .md .csv .tex .json .html, else md)\n"
    "  --output FILE                    write there (atomically) instead of stdout\n"
    "  --standalone                     with latex: a whole document for pdflatex, not a fragment\n"
    "  --baseline VARIANT               the variant others are compared with (default baseline)\n"
    "  --variant-key KEY                the label naming a method (default variant)\n"
    "  --pivot KEY|none                 columns of the pivot table (default model.preset when present)\n"
    "  --metric KEY                     quality of the pivot cells and the iso-quality axis (default\n"
    "                                   token_accuracy; also eval_loss, perplexity, test_loss, test_accuracy,\n"
    "                                   test_perplexity, downstream_accuracy,\n"
    "                                   downstream_macro_f1, downstream_test_accuracy, downstream_test_macro_f1)\n"
    "  --split valid|test               the held-out split of every quality number, comparison and floor\n"
    "                                   (default valid; test reads result.json quality.test, for final reports)\n"
    "  --table ID                       only one table: groups|baseline|pivot|downstream|iso_quality|fit|skipped,\n"
    "                                   or, for programs, trials (one row per trial) | curves (one per logged step);\n"
    "                                   --format csv needs one\n"
    "  --include-running                running trials too, marked running: in the trials and curves tables and\n"
    "                                   the loss-curve figure (never in a table of final numbers)\n"
    "  --no-ci                          leave out the 95% t-intervals over seeds (shown by default)\n"
    "  --extrapolate                    compute iso-quality speedups outside the family's range (marked)\n"
    "  --family KEY=VALUE[,KEY=VALUE]   the iso-quality reference family: groups matching every pair, by label\n"
    "                                   or config key (default: every dense model: no AltUp, MoE or Sequence-AltUp)\n"
    "  --fit flops|time                 fit the family's quality against cost per token (a power law) and report\n"
    "                                   each method's compute multiplier with a bootstrap interval over seeds\n"
    "  --include-stale                  show trials their sweep file no longer expands to, as groups of their own\n"
    "  --plot DIR                       draw figures (SVG and PNG, with gnuplot) into DIR\n"
    "  --plot-log x|y|xy                logarithmic axes in the figures (e.g. x for tokens/s or steps)\n"
    "  --quiet                          do not list skipped result files on stderr\n";

struct CommandLine {
    std::string runs_dir;
    std::string output;
    bool quiet = false;
    bool format_given = false;
    NamedChoices named;  // given on the command line: checked against the trials
    AnalyzeOptions options;
    ReportRequest request;
};

// Returns an error message, or "" when the arguments are good.
std::string parse(int argc, char** argv, CommandLine& cl) {
    cl.options.confidence_intervals = true;  // every mean a reader sees has its 95% interval
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::string value;
        bool has_value = false;
        if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos) {
            value = arg.substr(arg.find('=') + 1);
            arg = arg.substr(0, arg.find('='));
            has_value = true;
        }
        auto take = [&](std::string& into) -> std::string {
            if (!has_value) {
                if (i + 1 >= argc) return fmt::format("{} needs a value", arg);
                value = argv[++i];
            }
            if (value.empty()) return fmt::format("{} needs a non-empty value", arg);
            into = value;
            return "";
        };
        std::string error, format;
        if (arg == "--format") {
            error = take(format);
            if (error.empty()) {
                auto f = parse_report_format(format);
                if (!f) return fmt::format("unknown format '{}' (expected md, csv, latex, json or html)", format);
                cl.request.format = *f;
                cl.format_given = true;
            }
        } else if (arg == "--output" || arg == "-o") {
            error = take(cl.output);
        } else if (arg == "--baseline") {
            error = take(cl.options.baseline);
            cl.named.baseline = true;
        } else if (arg == "--variant-key") {
            error = take(cl.options.variant_key);
            cl.named.variant_key = true;
        } else if (arg == "--pivot") {
            error = take(cl.options.pivot_key);
            cl.named.pivot = true;
        } else if (arg == "--metric") {
            std::string key;
            error = take(key);
            if (error.empty()) {
                const auto m = metric_by_key(key);
                if (!m || !metric_info(*m).quality)
                    return fmt::format("unknown quality metric '{}' for --metric (expected one of {})", key,
                                       quality_metric_keys());
                cl.options.metric = *m;
            }
        } else if (arg == "--split") {
            std::string split;
            error = take(split);
            if (error.empty()) {
                if (split != "valid" && split != "test")
                    return fmt::format("--split expects valid or test, got '{}'", split);
                cl.options.split = split == "test" ? EvalSplit::test : EvalSplit::valid;
            }
        } else if (arg == "--table") {
            error = take(cl.request.table);
        } else if (arg == "--plot") {
            error = take(cl.request.plot_dir);
        } else if (arg == "--ci" && !has_value) {
            cl.options.confidence_intervals = true;
        } else if (arg == "--no-ci" && !has_value) {
            cl.options.confidence_intervals = false;
        } else if (arg == "--extrapolate" && !has_value) {
            cl.options.extrapolate = true;
        } else if (arg == "--family") {
            std::string list;
            error = take(list);
            if (error.empty()) {
                std::size_t start = 0;
                while (start <= list.size()) {
                    const std::size_t comma = std::min(list.find(',', start), list.size());
                    const std::string pair = list.substr(start, comma - start);
                    const std::size_t eq = pair.find('=');
                    if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size())
                        return fmt::format("--family expects KEY=VALUE pairs separated by commas "
                                           "(e.g. variant=baseline or model.altup.k=1), got '{}'", pair);
                    cl.options.family.match.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
                    start = comma + 1;
                }
            }
        } else if (arg == "--fit") {
            std::string cost;
            error = take(cost);
            if (error.empty()) {
                cl.options.fit = parse_fit_cost(cost);
                if (!cl.options.fit) return fmt::format("--fit expects flops or time, got '{}'", cost);
            }
        } else if (arg == "--plot-log") {
            std::string axes;
            error = take(axes);
            if (error.empty()) {
                if (axes != "x" && axes != "y" && axes != "xy" && axes != "yx")
                    return fmt::format("--plot-log expects x, y or xy, got '{}'", axes);
                cl.options.plot_log_x = axes.find('x') != std::string::npos;
                cl.options.plot_log_y = axes.find('y') != std::string::npos;
            }
        } else if (arg == "--include-running" && !has_value) {
            cl.options.include_running = true;
        } else if (arg == "--include-stale" && !has_value) {
            cl.options.include_stale = true;
        } else if (arg == "--standalone" && !has_value) {
            cl.request.latex_standalone = true;
        } else if (arg == "--quiet" && !has_value) {
            cl.quiet = true;
        } else if (arg.rfind("-", 0) == 0) {
            return fmt::format("unknown option '{}'", argv[i]);
        } else if (cl.runs_dir.empty()) {
            cl.runs_dir = arg;
        } else {
            return fmt::format("one RUNS_DIR expected, got '{}' and '{}'", cl.runs_dir, arg);
        }
        if (!error.empty()) return error;
    }
    if (cl.runs_dir.empty()) return "missing RUNS_DIR";
    // `-o report.html` means HTML; `--format csv -o report.html` is a mistake.
    if (const auto by_extension = report_format_of_path(cl.output)) {
        if (cl.format_given && *by_extension != cl.request.format)
            return fmt::format("--format {} contradicts the output file '{}' (its extension means {})",
                               report_format_name(cl.request.format), cl.output, report_format_name(*by_extension));
        cl.request.format = *by_extension;
    }
    if (cl.request.latex_standalone && cl.request.format != ReportFormat::latex)
        return "--standalone is for --format latex";
    if (cl.request.format == ReportFormat::csv && cl.request.table.empty())
        return "--format csv writes one table per file (so that pandas.read_csv reads it whole): add --table ID, "
               "e.g. --table trials (one row per trial), --table curves (one row per logged step) or --table groups";
    return "";
}

}  // namespace

int analyze_command(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            std::fputs(kUsage, stdout);
            return 0;
        }
    CommandLine cl;
    if (const std::string error = parse(argc, argv, cl); !error.empty()) {
        std::fprintf(stderr, "altup analyze: %s (see `altup analyze --help`)\n", error.c_str());
        return kExitUsage;
    }
    try {
        const Analysis analysis = analyze(cl.runs_dir, cl.options);
        if (!cl.quiet) std::fputs(skipped_report(analysis.loaded).c_str(), stderr);
        const bool running_shown = cl.options.include_running && !analysis.loaded.running_trials.empty();
        if (analysis.loaded.trials.empty() && !running_shown)
            throw AnalysisError(fmt::format("no completed trial under '{}' ({} result file(s) skipped, {} still running, {} invalid)",
                                            cl.runs_dir, analysis.loaded.skipped.size(), analysis.loaded.running, analysis.loaded.invalid));
        if (const std::string error = check_named_choices(analysis, cl.options, cl.named); !error.empty()) {
            std::fprintf(stderr, "altup analyze: %s\n", error.c_str());
            return kExitUsage;
        }
        const Report report = render_report(analysis, cl.options, cl.request);
        for (const std::string& w : report.warnings) std::fprintf(stderr, "altup analyze: %s\n", w.c_str());
        if (cl.output.empty()) {
            std::fwrite(report.text.data(), 1, report.text.size(), stdout);
        } else {
            write_file_atomically(cl.output, report.text);
            std::fprintf(stderr, "altup analyze: wrote %s\n", cl.output.c_str());
        }
        for (const std::string& f : report.figures) std::fprintf(stderr, "altup analyze: wrote %s\n", f.c_str());
        return 0;
    } catch (const AnalysisError& e) {
        std::fprintf(stderr, "altup analyze: %s\n", e.what());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "altup analyze: unexpected error: %s\n", e.what());
    }
    return 1;
}

}  // namespace altup
