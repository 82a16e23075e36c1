#include "core/tensor.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numeric>
#include <stdexcept>

namespace altup {

int64_t numel_of(const Shape& s) {
    int64_t n = 1;
    for (auto d : s) n *= d;
    return n;
}

std::string shape_str(const Shape& s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

namespace {
// Free lists keyed by element count. The engine is single-threaded at the op
// level (ops parallelise inside), so no locking is needed.
struct Pool {
    std::multimap<size_t, float*> free;
    size_t in_use = 0, pooled = 0;
    ~Pool() { for (auto& kv : free) std::free(kv.second); }
};
Pool& pool() { static Pool p; return p; }

// Sizes are rounded up to size classes (16 per power of two: at most 6.25%
// slack), so buffers whose size varies a little from step to step (MoE
// experts' token counts) reuse each other instead of growing the pool.
size_t size_class(size_t n) {
    if (n <= 64) return 64;
    size_t top = 1;
    while (top < n) top <<= 1;
    const size_t step = std::max<size_t>(64, top / 16);
    return (n + step - 1) / step * step;
}

// Takes the smallest free buffer of at least n floats and at most 25% more
// (best fit: a step whose expert batches came out a little larger than the
// last one's reuses the larger buffers instead of allocating), else a new one.
// n is updated to the buffer's capacity, under which it is given back.
float* pool_take(size_t& n) {
    auto& p = pool();
    auto it = p.free.lower_bound(n);
    float* ptr;
    if (it != p.free.end() && it->first <= n + n / 4) {
        n = it->first;
        ptr = it->second;
        p.free.erase(it);
        p.pooled -= n * sizeof(float);
    } else {
        const size_t bytes = std::max<size_t>(64, (n * sizeof(float) + 63) / 64 * 64);
        ptr = static_cast<float*>(std::aligned_alloc(64, bytes));
        if (!ptr) throw std::bad_alloc();
    }
    p.in_use += n * sizeof(float);
    return ptr;
}

void pool_give(float* ptr, size_t n) {
    auto& p = pool();
    p.in_use -= n * sizeof(float);
    p.pooled += n * sizeof(float);
    p.free.emplace(n, ptr);
}
}  // namespace

size_t tensor_bytes_in_use() { return pool().in_use; }
size_t tensor_bytes_pooled() { return pool().pooled; }

Storage::Storage(size_t n) : n_(size_class(n)) { data_ = pool_take(n_); }
Storage::~Storage() { pool_give(data_, n_); }

Tensor Tensor::empty(const Shape& shape) {
    for (auto d : shape)
        if (d < 0) throw std::invalid_argument("Tensor: negative dimension in " + shape_str(shape));
    Tensor t;
    t.storage_ = std::make_shared<Storage>(static_cast<size_t>(numel_of(shape)));
    t.shape_ = shape;
    return t;
}

Tensor Tensor::zeros(const Shape& shape) { return full(shape, 0.0f); }

Tensor Tensor::full(const Shape& shape, float value) {
    Tensor t = empty(shape);
    t.fill(value);
    return t;
}

Tensor Tensor::from(const Shape& shape, const std::vector<float>& values) {
    if (static_cast<int64_t>(values.size()) != numel_of(shape))
        throw std::invalid_argument("Tensor::from: " + std::to_string(values.size()) + " values for shape " + shape_str(shape));
    Tensor t = empty(shape);
    std::copy(values.begin(), values.end(), t.data());
    return t;
}

Tensor Tensor::reshape(const Shape& shape) const {
    Shape s = shape;
    int64_t known = 1;
    int infer = -1;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == -1) {
            if (infer >= 0) throw std::invalid_argument("reshape: more than one -1");
            infer = static_cast<int>(i);
        } else {
            known *= s[i];
        }
    }
    if (infer >= 0) s[infer] = known ? numel() / known : 0;
    if (numel_of(s) != numel())
        throw std::invalid_argument("reshape " + shape_str(shape_) + " -> " + shape_str(shape));
    Tensor t = *this;
    t.shape_ = s;
    return t;
}

Tensor Tensor::slice0(int64_t start, int64_t len) const {
    if (rank() == 0 || start < 0 || len < 0 || start + len > shape_[0])
        throw std::out_of_range("slice0 [" + std::to_string(start) + ", +" + std::to_string(len) + ") of " + shape_str(shape_));
    Tensor t = *this;
    t.offset_ += static_cast<size_t>(start * (numel() / shape_[0]));
    t.shape_[0] = len;
    return t;
}

Tensor Tensor::select0(int64_t i) const {
    Tensor t = slice0(i, 1);
    t.shape_.erase(t.shape_.begin());
    return t;
}

Tensor Tensor::clone() const {
    Tensor t = empty(shape_);
    t.copy_from(*this);
    return t;
}

void Tensor::fill(float v) const { std::fill(data(), data() + numel(), v); }

void Tensor::copy_from(const Tensor& src) const {
    if (src.numel() != numel())
        throw std::invalid_argument("copy_from " + shape_str(src.shape()) + " into " + shape_str(shape_));
    std::memcpy(data(), src.data(), sizeof(float) * numel());
}

std::vector<float> Tensor::to_vector() const { return std::vector<float>(data(), data() + numel()); }

float Tensor::item() const {
    if (numel() != 1) throw std::invalid_argument("item() of a tensor of shape " + shape_str(shape_));
    return data()[0];
}

}  // namespace altup
