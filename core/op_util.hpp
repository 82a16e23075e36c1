// Small helpers shared by the op implementations (not part of the public API).
#pragma once
#include <stdexcept>
#include <string>

#include "core/autograd.hpp"

namespace altup::detail {

// The gradient buffer of an input that wants one, else nullptr.
inline float* grad_of(const Var& v) { return v && v->requires_grad ? v->grad_buffer().data() : nullptr; }

inline void check(bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(what);
}

// Leading dims of a shape times each other (all but the last `keep` axes).
inline int64_t leading(const Shape& s, int keep) {
    int64_t n = 1;
    for (int i = 0; i + keep < static_cast<int>(s.size()); ++i) n *= s[i];
    return n;
}

}  // namespace altup::detail
