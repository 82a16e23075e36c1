// `altup analyze RUNS_DIR [--format md|csv|latex|json|html] [--baseline VARIANT]
//  [--pivot KEY] [--plot DIR] [--output FILE]`
#include "analysis/analyze_command.hpp"

#include <fstream>
#include <iostream>

#include "analysis/report.hpp"

namespace altup {

namespace {
const char* kUsage =
    "usage: altup analyze RUNS_DIR [options]\n"
    "\n"
    "  --format F        md (default) | csv | latex | json | html (one self-contained page with the plots)\n"
    "  --baseline V      compare every method with variant V of the same size (default: 'baseline' if present)\n"
    "  --pivot KEY       method x KEY accuracy table, e.g. model.preset (default: model.preset if present)\n"
    "  --plot DIR        write quality-vs-speed and loss-curve figures (SVG and PNG) into DIR\n"
    "  --output FILE     write the report to FILE instead of standard output\n";
}  // namespace

int analyze_command(int argc, char** argv) {
    std::string dir, output;
    AnalyzeOptions opts;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        try {
            if (a == "-h" || a == "--help") { std::cout << kUsage; return 0; }
            else if (a == "--format") opts.format = value();
            else if (a == "--baseline") opts.baseline = value();
            else if (a == "--pivot") opts.pivot = value();
            else if (a == "--plot") opts.plot_dir = value();
            else if (a == "--output") output = value();
            else if (!a.empty() && a[0] == '-') throw std::invalid_argument("unknown option " + a);
            else if (dir.empty()) dir = a;
            else throw std::invalid_argument("unexpected argument " + a);
        } catch (const std::invalid_argument& e) {
            std::cerr << "altup analyze: " << e.what() << "\n\n" << kUsage;
            return 2;
        }
    }
    if (dir.empty()) {
        std::cerr << "altup analyze: missing RUNS_DIR\n\n" << kUsage;
        return 2;
    }
    try {
        const Report r = analyze(dir, opts);
        for (const auto& s : r.skipped) std::cerr << "skipped " << s.path << ": " << s.reason << "\n";
        if (r.trials == 0) {
            std::cerr << "altup analyze: no completed trials under " << dir << "\n";
            return 1;
        }
        if (output.empty()) {
            std::cout << r.text;
        } else {
            const std::string tmp = output + ".tmp";
            std::ofstream(tmp) << r.text;
            std::rename(tmp.c_str(), output.c_str());
            std::cerr << "wrote " << output << "\n";
        }
    } catch (const std::exception& e) {
        std::cerr << "altup analyze: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace altup
