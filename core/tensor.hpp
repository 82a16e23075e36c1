// Tensor: f32, contiguous, row-major, with a shape. Storage is shared, so a
// reshape or a leading-axis slice is a view (no copy). Buffers come from a
// size-keyed pool, so a training step that allocates the same shapes every
// step reuses the same memory instead of going back to malloc (and to fresh,
// page-faulting pages).
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace altup {

using Shape = std::vector<int64_t>;

int64_t numel_of(const Shape& s);
std::string shape_str(const Shape& s);

class Storage {
public:
    explicit Storage(size_t n);  // uninitialised, 64-byte aligned, from the pool
    ~Storage();
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;
    float* data() { return data_; }
    size_t size() const { return n_; }
private:
    float* data_;
    size_t n_;
};

class Tensor {
public:
    Tensor() = default;
    static Tensor empty(const Shape& shape);
    static Tensor zeros(const Shape& shape);
    static Tensor full(const Shape& shape, float value);
    static Tensor from(const Shape& shape, const std::vector<float>& values);

    bool defined() const { return storage_ != nullptr; }
    const Shape& shape() const { return shape_; }
    int64_t dim(int i) const { return shape_[i < 0 ? shape_.size() + i : i]; }
    int rank() const { return static_cast<int>(shape_.size()); }
    int64_t numel() const { return numel_of(shape_); }
    float* data() const { return storage_->data() + offset_; }

    // Views sharing storage.
    Tensor reshape(const Shape& shape) const;       // same numel; one -1 allowed
    Tensor slice0(int64_t start, int64_t len) const; // rows [start, start+len) of axis 0
    Tensor select0(int64_t i) const;                 // axis 0 index i, rank drops by one

    Tensor clone() const;
    void fill(float v) const;
    void zero() const { fill(0.0f); }
    void copy_from(const Tensor& src) const;         // same numel
    std::vector<float> to_vector() const;
    float item() const;                              // numel must be 1

private:
    std::shared_ptr<Storage> storage_;
    size_t offset_ = 0;
    Shape shape_;
};

// Bytes currently held by tensors, and the pool's cached free bytes (for
// memory reports and the "no growth over steps" check).
size_t tensor_bytes_in_use();
size_t tensor_bytes_pooled();

}  // namespace altup
