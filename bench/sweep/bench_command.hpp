// Entry point of `altup bench` (bench/sweep/bench_command.cpp).
#pragma once
namespace altup { int bench_command(int argc, char** argv); }
