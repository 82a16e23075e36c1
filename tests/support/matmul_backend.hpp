// Which matmul back end ran, for tests that must reach each one.
#pragma once
#include <cstddef>

#include "core/dnn.hpp"

namespace altup::testing {

// dnnl_sgemm calls so far in this process (f32 products that take no cached primitive).
inline size_t sgemm_calls() {
    for (const dnn::ImplUse& u : dnn::matmul_impls_used())
        if (u.kind == dnn::ProductKind::f32_runtime && u.impl == "sgemm") return u.count;
    return 0;
}

}  // namespace altup::testing
