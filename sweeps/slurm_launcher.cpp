#include "sweeps/slurm_launcher.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "util/atomic_file.hpp"
#include "util/shell.hpp"
#include "util/trial_lock.hpp"
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
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
    return buf;
}

// A base name for this submission's files that no other submission has:
// "array-<UTC time>-<pid>-<n>", reserved by creating "<base>.tasks" with
// O_EXCL (so two submissions in one second, from one process or many, or
// from two machines whose pids agree, never share a task list).
std::string reserve_submission_name(const fs::path& slurm_dir) {
    static std::atomic<unsigned> counter{0};
    const std::string stem = "array-" + timestamp() + "-" + std::to_string(::getpid()) + "-";
    for (int tries = 0; tries < 1000; ++tries) {
        const std::string base = stem + std::to_string(counter++);
        const std::string reserved = (slurm_dir / (base + ".tasks")).string();
        const int fd = ::open(reserved.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ::close(fd);
            return base;
        }
        if (errno != EEXIST) throw std::runtime_error(fmt::format("{}: cannot create the task list: {}", reserved, std::strerror(errno)));
    }
    throw std::runtime_error(fmt::format("{}: no free task-list name after 1000 tries ({}*)", slurm_dir.string(), stem));
}
}  // namespace

std::vector<const Trial*> pending_trials(const SweepExpansion& sweep, const RunnerOptions& options) {
    std::vector<const Trial*> out;
    for (const auto& t : sweep.trials) {
        const std::string dir = trial_dir(options, sweep, t);
        const TrialOwner owner = owner_of(sweep, t);
        const TrialRecord r = read_trial_record(dir, &owner);
        if (r.status == TrialStatus::completed || r.status == TrialStatus::running || is_left_alone(r.status)) continue;
        if (is_unsuccessful(r.status) && !options.retry_failed) continue;
        if (fs::exists(dir) && TrialLock::held_elsewhere(dir)) continue;  // an array task is on it
        out.push_back(&t);
    }
    return out;
}

namespace {

// Shell for the task's single-quoted `sh -c`, whose stdout is train.log and
// which finds the trial folder in $ALTUP_TRIAL_DIR: appends the attempt line
// "=== altup sweep: attempt N at <time>, slurm task <job>_<task>", N one more
// than the attempt lines already there.
std::string attempt_line_command() {
    return std::string("n=$(grep -c \"^") + kAttemptLinePrefix +
           "\" \"$ALTUP_TRIAL_DIR/train.log\" 2>/dev/null); "
           "echo \"" + kAttemptLinePrefix +
           "$((${n:-0} + 1)) at $(date -u +%Y-%m-%dT%H:%M:%SZ), slurm task ${SLURM_ARRAY_JOB_ID:-?}_${SLURM_ARRAY_TASK_ID:-?}\"";
}

// The task script: reads its line of the list, checks a fine-tune trial's
// pretraining trial, and runs the trainer under the trial's lock.
std::string array_script(const SweepExpansion& sweep, const SlurmOptions& slurm, const fs::path& slurm_dir, const SlurmArray& array,
                         int cpus, const std::string& trainer) {
    std::string s = "#!/bin/bash\n";
    s += fmt::format("#SBATCH --job-name=altup-{}{}\n", sweep.spec.name, array.after_first ? "-finetune" : "");
    s += fmt::format("#SBATCH --array=0-{}{}\n", array.trial_ids.size() - 1, slurm.max_parallel > 0 ? fmt::format("%{}", slurm.max_parallel) : "");
    s += fmt::format("#SBATCH --cpus-per-task={}\n", cpus);
    if (slurm.mpi_ranks > 1) s += fmt::format("#SBATCH --ntasks={}\n", slurm.mpi_ranks);
    if (!slurm.partition.empty()) s += "#SBATCH --partition=" + slurm.partition + "\n";
    if (!slurm.time.empty()) s += "#SBATCH --time=" + slurm.time + "\n";
    s += "#SBATCH --output=" + (slurm_dir / "%A_%a.out").string() + "\n";
    for (const auto& a : slurm.sbatch_args) s += "#SBATCH " + a + "\n";
    s += fmt::format("# altup-lab: sweep '{}', {} pending {}trials (written by `altup sweep --launcher slurm`)\n", sweep.spec.name,
                     array.trial_ids.size(), array.after_first ? "fine-tune " : "");
    if (array.after_first) s += "# submitted with --dependency=afterany:<the pretraining array's job id>\n";
    s += "set -euo pipefail\n";
    s += "line=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" " + shell_quote(array.list_path) + ")\n";
    s += "# trial folder, pretraining trial folder or '', its not-fine-tuned result or '', then --label arguments\n";
    s += "eval \"set -- $line\"\n";
    s += "dir=$1; pretrained=$2; not_run=$3; shift 3\n";
    s += "export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1} ALTUP_TRIAL_DIR=\"$dir\"\n";
    s += "if [ -n \"$pretrained\" ]; then\n"
         "  # Two-stage sweep: wait while anyone still trains the pretraining trial; it must have completed.\n"
         "  [ -d \"$pretrained\" ] && flock \"$pretrained/.lock\" true\n"
         "  status=$(sed -n 's/^  \"status\": *\"\\([a-z]*\\)\".*/\\1/p' \"$pretrained/result.json\" 2>/dev/null | head -n 1)\n"
         "  [ -n \"$status\" ] || status=$(grep -o '\"status\": *\"[a-z]*\"' \"$pretrained/result.json\" 2>/dev/null | head -n 1 | sed 's/.*\"\\([a-z]*\\)\"$/\\1/')\n"
         "  case \"$status\" in\n"
         "    completed) set -- --pretrained \"$pretrained\" \"$@\" ;;\n"
         "    failed|diverged)\n"
         "      echo \"=== altup sweep: not started: pretraining trial $pretrained $status; not fine-tuned\" >> \"$dir/train.log\"\n"
         "      exec flock --nonblock \"$dir/.lock\" sh -c 'sed \"s/) failed; not fine-tuned/) $3; not fine-tuned/\" \"$1\" > \"$2/result.json.tmp\" && mv \"$2/result.json.tmp\" \"$2/result.json\"' \\\n"
         "        sh \"$not_run\" \"$dir\" \"$status\" ;;\n"
         "    *)\n"
         "      echo \"=== altup sweep: not started: pretraining trial $pretrained has not completed (status ${status:-none}); submit the sweep again\" >> \"$dir/train.log\"\n"
         "      exit 1 ;;\n"
         "  esac\n"
         "fi\n";
    s += "# The trial's lock, held for the whole task: local runners and --status see it running.\n";
    s += "# Under it, the attempt line a local runner writes too (attempts are counted from train.log).\n";
    s += "exec flock --nonblock \"$dir/.lock\" sh -c '" + attempt_line_command() + "; exec \"$@\"' sh \\\n";
    s += fmt::format("  {}{} \"$dir/config.yaml\" --run-dir \"$dir\" --resume --quiet --progress-every 60 \\\n"
                     "  --sweep {} \"$@\" >> \"$dir/train.log\" 2>&1\n",
                     slurm.mpi_ranks > 1 ? fmt::format("srun --ntasks={} ", slurm.mpi_ranks) : "", trainer, shell_quote(sweep.spec.name));
    return s;
}

}  // namespace

SlurmSubmission submit_slurm_array(const SweepExpansion& sweep, const RunnerOptions& options, const SlurmOptions& slurm) {
    SlurmSubmission sub;
    const std::vector<const Trial*> pending = pending_trials(sweep, options);
    if (pending.empty()) return sub;

    const fs::path root = fs::absolute(fs::path(options.out_dir) / sweep.spec.name).lexically_normal();
    const fs::path slurm_dir = root / "slurm";
    const bool write = !slurm.dry_run;  // a dry run shows what would be written, and writes nothing
    if (write) {
        fs::create_directories(slurm_dir);
        remove_stale_temporaries(root.string());
        remove_stale_temporaries(slurm_dir.string());
    }
    const std::string submission = write ? reserve_submission_name(slurm_dir) : "array-" + timestamp() + "-dry-run";

    // A fine-tune trial whose pretraining trial is submitted now goes into the second array.
    std::set<std::string> pending_ids;
    for (const Trial* t : pending) pending_ids.insert(t->id);
    std::vector<const Trial*> stage[2];
    for (const Trial* t : pending) stage[!t->depends_on.empty() && pending_ids.count(t->depends_on)].push_back(t);

    const int cpus = slurm.cpus_per_task > 0 ? slurm.cpus_per_task : std::max(1, options.threads);
    std::string trainer;
    if (options.trainer_command.empty()) {
        trainer = shell_quote(fs::absolute(slurm.altup_binary.empty() ? self_executable() : slurm.altup_binary).string()) + " train";
    } else {
        for (const auto& word : options.trainer_command) trainer += (trainer.empty() ? "" : " ") + shell_quote(word);
    }

    for (int k = 0; k < 2; ++k) {
        if (stage[k].empty()) continue;
        SlurmArray array;
        array.after_first = k == 1;
        const std::string base = submission + (k == 1 ? "-finetune" : "");
        array.list_path = (slurm_dir / (base + ".tasks")).string();
        array.script_path = (slurm_dir / (base + ".sbatch")).string();
        // One line per array task: the trial folder, its pretraining trial's folder and
        // not-fine-tuned result (or ''), then its --label arguments, shell-quoted.
        std::string list;
        for (const Trial* t : stage[k]) {
            const std::string dir = (root / t->id).string();
            if (write) {
                fs::create_directories(dir);
                if (TrialLock lock = TrialLock::try_acquire(dir); lock.held()) remove_stale_temporaries(dir);  // no task runs it now
                write_file_atomically(dir + "/config.yaml", trial_config_yaml(*t));
            }
            std::string pretrained_dir, not_run;
            if (!t->depends_on.empty()) {
                const Trial& pretraining = sweep.trials[trial_index(sweep, t->depends_on)];
                pretrained_dir = (root / pretraining.id).string();
                not_run = (slurm_dir / (base + "-" + t->id + ".not-fine-tuned.json")).string();
                if (write) write_file_atomically(not_run, failed_result_text(sweep, *t, not_fine_tuned_message(pretraining, "failed")));
            }
            std::string labels;
            for (const auto& [key, value] : ordered_labels(t->labels)) labels += " --label " + shell_quote(key + "=" + value);
            list += shell_quote(dir) + " " + shell_quote(pretrained_dir) + " " + shell_quote(not_run) + labels + "\n";
            array.trial_ids.push_back(t->id);
            sub.trial_ids.push_back(t->id);
        }
        array.list = list;
        array.script = array_script(sweep, slurm, slurm_dir, array, cpus, trainer);
        if (write) {
            write_file_atomically(array.list_path, array.list);
            write_file_atomically(array.script_path, array.script);
        }
        sub.arrays.push_back(std::move(array));
    }
    sub.script_path = sub.arrays[0].script_path;
    sub.list_path = sub.arrays[0].list_path;
    sub.script = sub.arrays[0].script;

    auto sbatch_command = [](const SlurmArray& array, const std::string& first_job) {
        return "sbatch --parsable " + (array.after_first ? "--dependency=afterany:" + first_job + " " : std::string()) +
               shell_quote(array.script_path);
    };
    if (slurm.dry_run) {
        for (auto& array : sub.arrays) array.sbatch_command = sbatch_command(array, "<first job id>");
        return sub;
    }

    if (std::system("command -v sbatch >/dev/null 2>&1") != 0)
        throw std::runtime_error("--launcher slurm needs sbatch on PATH (Debian: slurm-client), run it on a cluster login node");
    for (auto& array : sub.arrays) {
        array.sbatch_command = sbatch_command(array, sub.arrays[0].job_id);
        const CommandOutput r = run_command(array.sbatch_command);
        if (r.status != 0)
            throw std::runtime_error(fmt::format("sbatch refused the {}job array:\n{}",
                                                 array.after_first ? "fine-tune " : "", r.output) +
                                     (array.after_first ? fmt::format("(the pretraining array {} was submitted)", sub.arrays[0].job_id) : ""));
        array.job_id = r.output.substr(0, r.output.find_first_of(";\n"));
    }
    sub.job_id = sub.arrays[0].job_id;
    return sub;
}

}  // namespace altup
