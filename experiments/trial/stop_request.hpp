// A request to stop the running trial (SIGINT or SIGTERM: Ctrl-C, the sweep
// runner, Slurm's pre-emption): the handlers only note the signal; the
// training loops poll it between steps, save the checkpoint and exit with
// interrupted_exit(sig) (util/trial_exit.hpp).
#pragma once

namespace altup {

// Install the SIGINT/SIGTERM handlers (once per process, before a trial runs).
void install_stop_handlers();

// The signal that asked the trial to stop, or 0.
int stop_signal();
void set_stop_signal(int sig);  // 0 clears it; tests call it to stop a trial at a chosen step

}  // namespace altup
