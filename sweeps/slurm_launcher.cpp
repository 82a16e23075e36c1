#include "sweeps/slurm_launcher.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "util/atomic_file.hpp"
#include "util/shell.hpp"
#include "sweeps/trial_lock.hpp"
#include "sweeps/trial_state.hpp"

namespace altup {
namespace fs = std::filesystem;

namespace {
std::string self_executable() {
    std::array<char, 4096> buf{};
    const ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
    if (n <= 0) throw std::runtime_error("cannot find the altup executable (/proc/self/exe)");
    return std::string(buf.data(), size_t(n));
}

std::string timestamp() {
    std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::gmtime(&t));
    return buf;
}
}  // namespace

std::vector<const Trial*> pending_trials(const SweepExpansion& sweep, const RunnerOptions& options) {
    std::vector<const Trial*> out;
    for (const auto& t : sweep.trials) {
        const std::string dir = trial_dir(options, sweep, t);
        const TrialRecord r = read_trial_record(dir);
        if (r.status == TrialStatus::completed || r.status == TrialStatus::running) continue;
        if (is_unsuccessful(r.status) && !options.retry_failed) continue;
        if (fs::exists(dir) && TrialLock::held_elsewhere(dir)) continue;  // an array task is on it
        out.push_back(&t);
    }
    return out;
}

SlurmSubmission submit_slurm_array(const SweepExpansion& sweep, const RunnerOptions& options, const SlurmOptions& slurm) {
    SlurmSubmission sub;
    const std::vector<const Trial*> pending = pending_trials(sweep, options);
    if (pending.empty()) return sub;

    const fs::path root = fs::absolute(fs::path(options.out_dir) / sweep.spec.name);
    const fs::path slurm_dir = root / "slurm";
    fs::create_directories(slurm_dir);
    const std::string stamp = timestamp();
    sub.list_path = (slurm_dir / ("array-" + stamp + ".tasks")).string();
    sub.script_path = (slurm_dir / ("array-" + stamp + ".sbatch")).string();

    // One line per array task: the trial folder, then its --label arguments, shell-quoted.
    std::string list;
    for (const Trial* t : pending) {
        const std::string dir = (root / t->id).string();
        fs::create_directories(dir);
        write_file_atomically(dir + "/config.yaml", trial_config_yaml(*t));
        std::string labels;
        for (const auto& [k, v] : ordered_labels(t->labels)) labels += " --label " + shell_quote(k + "=" + v);
        list += shell_quote(dir) + labels + "\n";
        sub.trial_ids.push_back(t->id);
    }
    write_file_atomically(sub.list_path, list);

    const int cpus = slurm.cpus_per_task > 0 ? slurm.cpus_per_task : std::max(1, options.threads);
    const std::string binary = fs::absolute(slurm.altup_binary.empty() ? self_executable() : slurm.altup_binary).string();
    std::string s = "#!/bin/bash\n";
    s += fmt::format("#SBATCH --job-name=altup-{}\n", sweep.spec.name);
    s += fmt::format("#SBATCH --array=0-{}{}\n", pending.size() - 1, slurm.max_parallel > 0 ? fmt::format("%{}", slurm.max_parallel) : "");
    s += fmt::format("#SBATCH --cpus-per-task={}\n", cpus);
    if (slurm.mpi_ranks > 1) s += fmt::format("#SBATCH --ntasks={}\n", slurm.mpi_ranks);
    if (!slurm.partition.empty()) s += "#SBATCH --partition=" + slurm.partition + "\n";
    if (!slurm.time.empty()) s += "#SBATCH --time=" + slurm.time + "\n";
    s += "#SBATCH --output=" + (slurm_dir / "%A_%a.out").string() + "\n";
    for (const auto& a : slurm.sbatch_args) s += "#SBATCH " + a + "\n";
    s += fmt::format(
        "# altup-lab: sweep '{}', {} pending trials (written by `altup sweep --launcher slurm`)\n"
        "set -euo pipefail\n"
        "line=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" {})\n"
        "eval \"set -- $line\"   # trial folder, then its --label arguments\n"
        "dir=$1; shift\n"
        "export OMP_NUM_THREADS=${{SLURM_CPUS_PER_TASK:-1}}\n"
        "# The trial's lock, held for the whole task: local runners and --status see it running.\n"
        "exec flock --nonblock \"$dir/.lock\" {}{} train \"$dir/config.yaml\" --run-dir \"$dir\" --resume --quiet \\\n"
        "  --sweep {} \"$@\" >> \"$dir/train.log\" 2>&1\n",
        sweep.spec.name, pending.size(), shell_quote(sub.list_path),
        slurm.mpi_ranks > 1 ? fmt::format("srun --ntasks={} ", slurm.mpi_ranks) : "", shell_quote(binary), shell_quote(sweep.spec.name));
    sub.script = s;
    write_file_atomically(sub.script_path, s);
    if (slurm.dry_run) return sub;

    if (std::system("command -v sbatch >/dev/null 2>&1") != 0)
        throw std::runtime_error("--launcher slurm needs sbatch on PATH (Debian: slurm-client), run it on a cluster login node");
    const CommandOutput r = run_command("sbatch --parsable " + shell_quote(sub.script_path));
    if (r.status != 0) throw std::runtime_error("sbatch refused the job array:\n" + r.output);
    sub.job_id = r.output.substr(0, r.output.find_first_of(";\n"));
    return sub;
}

}  // namespace altup
