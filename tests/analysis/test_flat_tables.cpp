// `--table trials` and `--table curves`: one flat row per trial / logged step,
// raw numbers, checked against the values written into the result files.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "analysis/analyze_command.hpp"
#include "analysis/report.hpp"
#include "analysis_fixtures.hpp"

using namespace altup;
using namespace altup_test;
using json = nlohmann::json;

namespace {

// Rows of a CSV without quoted fields (these tests' values have no commas), by header.
std::vector<std::map<std::string, std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> lines;
    std::stringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> fields;
        std::stringstream l(line);
        for (std::string f; std::getline(l, f, ',');) fields.push_back(f);
        if (!line.empty() && line.back() == ',') fields.push_back("");
        lines.push_back(fields);
    }
    std::vector<std::map<std::string, std::string>> rows;
    for (std::size_t r = 1; r < lines.size(); ++r) {
        REQUIRE(lines[r].size() == lines[0].size());
        std::map<std::string, std::string> row;
        for (std::size_t c = 0; c < lines[0].size(); ++c) row[lines[0][c]] = lines[r][c];
        rows.push_back(row);
    }
    return rows;
}

// A trial folder under runs/s/: result.json from the fixture with these values, and a metrics.jsonl.
void write_trial(const std::string& runs, const std::string& id, const std::string& status, const std::string& variant,
                 double accuracy, const std::vector<json>& metrics) {
    json j = json::parse(slurp(kPaperRuns + "/at1/result.json"));
    j["trial_id"] = id;
    j["sweep"] = "s";
    j["status"] = status;
    j["labels"] = {{"variant", variant}, {"model.d_model", "64"}, {"seed", "1"}};
    j["config"] = {{"model", {{"d_model", 64}, {"norm", "rmsnorm"}}}, {"train", {{"lr", 0.003}, {"steps", 30}}}, {"seed", 1}};
    if (status == "running") {
        for (const char* section : {"quality", "train", "speed", "params"}) j[section] = nullptr;
    } else {
        j["quality"]["token_accuracy"] = accuracy;
        j["quality"].erase("curve");
    }
    write_text(runs + "/s/" + id + "/result.json", j.dump(2));
    std::string lines;
    for (const json& m : metrics) lines += m.dump() + "\n";
    write_text(runs + "/s/" + id + "/metrics.jsonl", lines);
}

json train_line(int step, double loss) { return {{"kind", "train"}, {"step", step}, {"loss", loss}, {"lr", 1e-3}, {"time_s", step * 0.5}, {"tokens_per_s", 1000.0}}; }
json eval_line(int step, double loss, double acc) {
    return {{"kind", "eval"}, {"step", step}, {"loss", loss}, {"perplexity", std::exp(loss)}, {"token_accuracy", acc}, {"time_s", step * 0.5 + 0.1}};
}

std::string csv_of(const std::string& runs, const std::string& table, bool include_running) {
    AnalyzeOptions o;
    o.include_running = include_running;
    ReportRequest r;
    r.format = ReportFormat::csv;
    r.table = table;
    return render_report(analyze(runs, o), o, r).text;
}

}  // namespace

TEST_CASE("trials table: one row per completed trial, raw numbers, labels and config keys as columns", "[analysis][flat]") {
    ScratchDir dir;
    const std::string runs = dir.path() + "/runs";
    write_trial(runs, "aaa", "completed", "baseline", 0.1875, {train_line(10, 5.5), eval_line(10, 5.25, 0.125)});
    write_trial(runs, "bbb", "completed", "altup-k2", 0.21875, {train_line(10, 5.0)});
    write_trial(runs, "ccc", "running", "altup-k2", 0, {train_line(10, 6.0), eval_line(10, 5.75, 0.0625)});
    const auto rows = parse_csv(csv_of(runs, "trials", false));
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].at("trial_id") == "aaa");
    CHECK(rows[0].at("status") == "completed");
    CHECK(rows[0].at("variant") == "baseline");
    CHECK(rows[0].at("model.d_model") == "64");
    CHECK(rows[1].at("variant") == "altup-k2");
    CHECK(std::stod(rows[0].at("token_accuracy")) == 0.1875);  // a fraction, not percent
    CHECK(std::stod(rows[1].at("token_accuracy")) == 0.21875);
    CHECK(rows[0].at("config.model.norm") == "rmsnorm");      // text unquoted
    CHECK(std::stod(rows[0].at("config.train.lr")) == 0.003);
    CHECK(rows[0].at("config.train.steps") == "30");
    CHECK(rows[0].at("test_loss").empty());  // absent in the file: empty, never 0

    const auto with_running = parse_csv(csv_of(runs, "trials", true));
    REQUIRE(with_running.size() == 3);
    CHECK(with_running[2].at("trial_id") == "ccc");
    CHECK(with_running[2].at("status") == "running");
    CHECK(with_running[2].at("token_accuracy").empty());
}

TEST_CASE("curves table: one row per trial and logged step, training and evaluation merged", "[analysis][flat]") {
    ScratchDir dir;
    const std::string runs = dir.path() + "/runs";
    write_trial(runs, "aaa", "completed", "baseline", 0.2,
                {train_line(10, 5.5), train_line(20, 5.0), eval_line(20, 4.75, 0.125), train_line(30, 4.5)});
    write_trial(runs, "ccc", "running", "altup-k2", 0, {train_line(10, 6.0), eval_line(10, 5.75, 0.0625)});
    const auto rows = parse_csv(csv_of(runs, "curves", false));
    REQUIRE(rows.size() == 3);  // steps 10, 20, 30 of the completed trial
    CHECK(rows[1].at("step") == "20");
    CHECK(std::stod(rows[1].at("train_loss")) == 5.0);
    CHECK(std::stod(rows[1].at("eval_loss")) == 4.75);
    CHECK(std::stod(rows[1].at("eval_accuracy")) == 0.125);
    CHECK(std::stod(rows[1].at("time_s")) == 10.0);  // the training line's clock
    CHECK(rows[0].at("eval_loss").empty());
    const auto with_running = parse_csv(csv_of(runs, "curves", true));
    REQUIRE(with_running.size() == 4);
    CHECK(with_running[3].at("trial_id") == "ccc");
    CHECK(with_running[3].at("status") == "running");
    CHECK(std::stod(with_running[3].at("eval_loss")) == 5.75);
}

TEST_CASE("csv without --table is refused (one table per file) - a sweep with only running trials has curves", "[analysis][flat]") {
    ScratchDir dir;
    const std::string runs = dir.path() + "/runs";
    write_trial(runs, "ccc", "running", "altup-k2", 0, {train_line(10, 6.0), eval_line(10, 5.75, 0.0625)});
    CHECK(run_command({runs, "--format", "csv", "--quiet"}) == 2);
    CHECK(run_command({runs, "-o", dir.path() + "/all.csv", "--quiet"}) == 2);
    CHECK_FALSE(std::filesystem::exists(dir.path() + "/all.csv"));
    CHECK(run_command({runs, "--table", "curves", "--quiet"}) == 1);  // nothing completed, running not asked for
    CHECK(run_command({runs, "--table", "curves", "--include-running", "-o", dir.path() + "/c.csv", "--quiet"}) == 0);
    CHECK(parse_csv(slurp(dir.path() + "/c.csv")).size() == 1);
}
