// Result files that fail the schema check (util/result_file.hpp) are listed
// with their path and reason, in the report and on stderr, and never counted.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <filesystem>

#include "analysis/analyze_command.hpp"
#include "analysis/result_loader.hpp"
#include "analysis_fixtures.hpp"
#include "tests/support/result_faults.hpp"
#include "util/result_file.hpp"

using namespace altup;
using namespace altup_test;

namespace {
// `altup analyze ARGS...` in a child process whose stderr goes to `err`; its exit code.
int analyze_in_child(std::vector<std::string> args, const std::string& err) {
    args.insert(args.begin(), "analyze");
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (!std::freopen(err.c_str(), "w", stderr)) ::_exit(98);
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        const int code = analyze_command(static_cast<int>(argv.size()), argv.data());
        std::fflush(nullptr);
        ::_exit(code);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
}  // namespace

TEST_CASE("an invalid result file is listed with its path and reason, never counted", "[analysis][invalid]") {
    const auto faults = result_faults();
    const size_t which = GENERATE(range(size_t(0), result_faults().size()));
    const ResultFault& fault = faults[which];
    INFO(fault.name);
    ScratchDir dir;
    const std::string valid = slurp(kPaperRuns + "/ab1/result.json");  // a completed result in the trainer's shape
    REQUIRE(read_result_file(kPaperRuns + "/ab1/result.json").valid());
    const std::string good = dir.path() + "/runs/good/result.json", broken = dir.path() + "/runs/broken/result.json";
    write_text(good, valid);
    write_text(broken, fault.make(valid));

    const ResultFile checked = read_result_file(broken);
    CHECK(checked.invalid());
    CHECK_THAT(checked.reason(), Catch::StartsWith(broken + ": " + fault.reason));
    if (!fault.reason_is_prefix) CHECK(checked.problem == fault.reason);
    CHECK(is_printable(checked.problem));

    const LoadedResults loaded = load_results(dir.path() + "/runs");
    REQUIRE(loaded.trials.size() == 1);
    CHECK(loaded.trials[0].path == good);
    REQUIRE(loaded.skipped.size() == 1);
    CHECK(loaded.skipped[0].path == broken);
    CHECK(loaded.skipped[0].reason == checked.problem);  // the one check's words
    CHECK(loaded.skipped[0].invalid);
    CHECK(loaded.invalid == 1);
    CHECK(loaded.running == 0);

    // The report lists it in its skipped table, and stderr names it.
    const std::string out = dir.path() + "/report.md", err = dir.path() + "/stderr.txt";
    const int code = analyze_in_child({dir.path() + "/runs", "--output", out}, err);
    CHECK(code == 0);
    CHECK_THAT(slurp(out), Catch::Contains("| " + broken + " | " + fault.reason));
    CHECK_THAT(slurp(err), Catch::Contains("skipped " + broken + ": " + fault.reason));
}

TEST_CASE("the schema check accepts what the trainer writes and names the field of what it does not", "[analysis][invalid]") {
    const nlohmann::json valid = nlohmann::json::parse(slurp(kPaperRuns + "/ab1/result.json"));
    CHECK(result_schema_problem(valid).empty());
    auto problem = [&](const std::function<void(nlohmann::json&)>& edit) {
        nlohmann::json j = valid;
        edit(j);
        return result_schema_problem(j);
    };
    CHECK(problem([](auto& j) { j.erase("trial_id"); }) == "missing field 'trial_id'");
    CHECK(problem([](auto& j) { j["labels"] = nullptr; }) == "field 'labels': expected an object, got null");
    CHECK(problem([](auto& j) { j["labels"]["seed"] = nlohmann::json::array(); }) == "field 'labels.seed': expected a string, got array");
    CHECK(problem([](auto& j) { j.erase("config"); }) == "missing field 'config'");
    CHECK(problem([](auto& j) { j["quality"]["eval_loss"] = nullptr; }) == "field 'quality.eval_loss': expected a number, got null");
    CHECK(problem([](auto& j) { j["train"].erase("steps_done"); }) == "missing field 'train.steps_done'");
    CHECK(problem([](auto& j) { j["train"]["steps_done"] = 2.5; }) == "field 'train.steps_done': expected an integer, got number 2.5");
    CHECK(problem([](auto& j) { j["quality"]["curve"] = {{{"loss", 1.0}}}; }) == "missing field 'quality.curve[0].step'");
    CHECK(problem([](auto& j) { j["schema_version"] = 2; }) == "unsupported schema_version 2 (this altup reads version 1)");
    CHECK(problem([](auto& j) { j["status"] = 3; }) == "field 'status': expected a string, got number");
    // Unfinished and failed results need only the header; what they have is type-checked.
    CHECK(problem([](auto& j) { j = {{"schema_version", 1}, {"trial_id", "t"}, {"status", "running"}}; }).empty());
    CHECK(problem([](auto& j) { j = {{"schema_version", 1}, {"trial_id", "t"}, {"status", "failed"}, {"quality", {{"eval_loss", "x"}}}}; }) ==
          "field 'quality.eval_loss': expected a number or null, got string");
    // A fine-tune result from a bare checkpoint copies null pretraining sections; its downstream section is required.
    CHECK(problem([](auto& j) {
              j["stage"] = "finetune";
              for (const char* key : {"quality", "params", "train", "speed"}) j[key] = nullptr;
              j["downstream"] = {{"task", "pos"}, {"accuracy", 0.9}, {"steps_done", 300}};
          }).empty());
    CHECK(problem([](auto& j) { j["stage"] = "finetune"; }) == "missing field 'downstream'");
}
