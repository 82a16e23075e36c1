// Entry point of `altup bench` (experiments/bench/bench_command.cpp).
#pragma once
namespace altup { int bench_command(int argc, char** argv); }
