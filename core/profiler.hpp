// Per-op time breakdown for benchmarks (off by default; a flag check per op
// when off). Forward time is charged to the outermost op running; backward
// time to the op that recorded the tape node.
#pragma once
#include <chrono>
#include <map>
#include <string>

namespace altup::profiler {

void enable(bool on);
bool enabled();
void reset();
// name -> total milliseconds ("matmul", "matmul.bwd", ...)
const std::map<std::string, double>& totals();
void add(const char* name, double ms);

// The op currently being recorded (tape nodes remember it for backward timing).
const char* current_op();

class Scope {
public:
    explicit Scope(const char* op);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
private:
    const char* op_;
    const char* outer_;
    bool timing_;
    std::chrono::steady_clock::time_point t0_;
};

}  // namespace altup::profiler
