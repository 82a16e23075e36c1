// Wall-clock timestamps as every file of the project writes them: UTC, ISO
// 8601 to the second ("2026-11-28T19:00:00Z").
#pragma once
#include <string>

namespace altup {

std::string utc_now_iso();

}  // namespace altup
