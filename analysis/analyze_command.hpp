// Entry point of `altup analyze` (analysis/analyze_command.cpp).
#pragma once
namespace altup { int analyze_command(int argc, char** argv); }
