// Small helpers shared by the op implementations (not part of the public API).
#pragma once
#include <stdexcept>
#include <string>

#include "core/autograd.hpp"
#include "core/dnn.hpp"

namespace altup::detail {

// The gradient buffer of an input that wants one, else nullptr.
inline float* grad_of(const Var& v) { return v && v->requires_grad ? v->grad_buffer().data() : nullptr; }

// The same for an op that writes its whole contribution to v's gradient in
// one go: `fresh` says the buffer is uninitialised and must be written (=),
// not added to (+=). Take the pointer only when about to write it: an op whose
// two inputs are the same node then writes the first and adds the second.
inline float* grad_to_write(const Var& v, bool& fresh) {
    fresh = false;
    return v && v->requires_grad ? v->grad_buffer_for_write(fresh).data() : nullptr;
}

// bf16 copies live in pooled f32 tensors of half the element count: the pool
// then recycles them like any activation (no allocation per step).
inline Tensor bf16_copy(const float* src, int64_t n) {
    Tensor t = Tensor::empty({(n + 1) / 2});
    dnn::to_bf16(src, reinterpret_cast<uint16_t*>(t.data()), n);
    return t;
}
inline const uint16_t* bf16_data(const Tensor& t) { return reinterpret_cast<const uint16_t*>(t.data()); }

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
