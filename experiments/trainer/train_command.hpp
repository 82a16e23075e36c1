// Entry point of `altup train` (experiments/trainer/train_command.cpp).
#pragma once
namespace altup { int train_command(int argc, char** argv); }
