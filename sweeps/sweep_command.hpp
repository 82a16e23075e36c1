// Entry point of `altup sweep` (sweeps/sweep_command.cpp).
#pragma once
namespace altup { int sweep_command(int argc, char** argv); }
