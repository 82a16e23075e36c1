#include "core/profiler.hpp"

namespace altup::profiler {

namespace {
bool g_on = false;
std::map<std::string, double> g_totals;
thread_local const char* g_current = "op";
thread_local int g_depth = 0;
}  // namespace

void enable(bool on) { g_on = on; }
bool enabled() { return g_on; }
void reset() { g_totals.clear(); }
const std::map<std::string, double>& totals() { return g_totals; }
void add(const char* name, double ms) { g_totals[name] += ms; }
const char* current_op() { return g_current; }

Scope::Scope(const char* op) : op_(op), outer_(g_current), timing_(g_on && g_depth == 0) {
    if (g_depth == 0) g_current = op;  // nested ops (split -> slice) belong to the outer one
    ++g_depth;
    if (timing_) t0_ = std::chrono::steady_clock::now();
}

Scope::~Scope() {
    --g_depth;
    if (timing_) add(op_, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count());
    g_current = outer_;
}

}  // namespace altup::profiler
