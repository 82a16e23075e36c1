#include "experiments/trial/stop_request.hpp"

#include <csignal>

namespace altup {
namespace {
volatile std::sig_atomic_t g_stop_signal = 0;
void on_stop(int sig) { g_stop_signal = sig; }
}  // namespace

void install_stop_handlers() {
    struct sigaction sa{};
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

int stop_signal() { return g_stop_signal; }
void set_stop_signal(int sig) { g_stop_signal = sig; }

}  // namespace altup
