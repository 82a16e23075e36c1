// Attention's products on strided 4-D views (dnn.hpp's matmul_strided): q, k
// and v read straight out of the packed [B*T, 3d] buffer, heads written merged.
#include <algorithm>
#include <array>
#include <map>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/dnn.hpp"
#include "core/dnn_internal.hpp"

namespace altup::dnn {

using namespace internal;
using dnnl::memory;
using dt = memory::data_type;

namespace {
struct StridedEntry {
    dnnl::matmul prim;
    memory a, b, c;
    std::unordered_map<int, memory> args;
};
memory::desc strided_md(const StridedView& v, dt type) {
    return memory::desc(memory::dims(v.dims, v.dims + 4), type, memory::dims(v.strides, v.strides + 4));
}
// Elements from a view's first to its last, inclusive: what a bf16 copy must cover.
int64_t extent(const StridedView& v) {
    int64_t e = 1;
    for (int i = 0; i < 4; ++i) e += (v.dims[i] - 1) * v.strides[i];
    return e;
}
}  // namespace

namespace {
StridedEntry& strided_entry(const StridedView& a, const StridedView& b, const StridedView& c, float alpha, bool accumulate,
                            bool bf16) {
    using Key = std::tuple<std::array<int64_t, 24>, float, bool, bool, bool>;
    static std::map<Key, StridedEntry> cache;
    std::array<int64_t, 24> shape{};  // dims and strides of a, b, c: the lookup allocates nothing
    auto out = shape.begin();
    for (const StridedView* v : {&a, &b, &c}) {
        out = std::copy(v->dims, v->dims + 4, out);
        out = std::copy(v->strides, v->strides + 4, out);
    }
    Key key{shape, alpha, accumulate, bf16, bf16 && matmul_policy().bf16_native};
    auto it = cache.find(key);
    if (it == cache.end()) {
        const dt in = bf16 ? bf16_input_type() : dt::f32;
        const dnnl::primitive_attr attr = product_attr(alpha, accumulate);
        const auto a_md = strided_md(a, in), b_md = strided_md(b, in), c_md = strided_md(c, dt::f32);
        std::string impl;
        StridedEntry e{create_matmul(dnnl::matmul::desc(a_md, b_md, c_md), attr,
                                     bf16 ? ProductKind::bf16_fixed : ProductKind::f32_fixed, impl),
                       memory(a_md, engine(), nullptr), memory(b_md, engine(), nullptr), memory(c_md, engine(), nullptr), {}};
        e.args = {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.b}, {DNNL_ARG_DST, e.c}};
        it = cache.emplace(std::move(key), std::move(e)).first;
    }
    return it->second;
}

void run_strided(StridedEntry& e, float* C) {
    e.c.set_data_handle(C);
    e.prim.execute(stream(), e.args);
    stream().wait();
}
}  // namespace

void matmul_strided(const StridedView& a, const StridedView& b, const StridedView& c, const float* A, const float* B,
                    float* C, float alpha, bool accumulate) {
    StridedEntry& e = strided_entry(a, b, c, alpha, accumulate, false);
    bind_inputs(e.a, e.b, A, extent(a), B, extent(b), false);
    run_strided(e, C);
}

void matmul_strided_bf16(const StridedView& a, const StridedView& b, const StridedView& c, const uint16_t* A,
                         const uint16_t* B, float* C, float alpha, bool accumulate) {
    StridedEntry& e = strided_entry(a, b, c, alpha, accumulate, true);
    static std::vector<float> a32, b32;
    bind_bf16(e.a, A, extent(a), a32);
    bind_bf16(e.b, B, extent(b), b32);
    run_strided(e, C);
}

}  // namespace altup::dnn
