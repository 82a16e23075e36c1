// The name and format tag of a sweep's manifest (sweeps/sweep_manifest.hpp
// writes it, analysis/result_loader.cpp reads it; they do not link each other).
#pragma once

namespace altup {

inline constexpr const char* kSweepManifestName = "sweep.json";
inline constexpr const char* kSweepManifestFormat = "altup-lab sweep manifest v1";

}  // namespace altup
