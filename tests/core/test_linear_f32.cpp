// The f32 linear layer that every training step runs, at the shapes the
// models use, against double-precision loops: forward, and the three
// gradients, on each back end a product can take (the cached primitive,
// dnnl_sgemm for run-time-sized or irregular shapes), asserting which one ran.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "core/dnn.hpp"
#include "core/ops.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/matmul_backend.hpp"

using namespace altup;
using altup::testing::random_tensor;
using altup::testing::sgemm_calls;

namespace {


// A float result of a sum of L products may differ from the exact sum by at
// most gamma_L * sum |terms|, gamma_L = L u / (1 - L u), u = 2^-24, whatever the
// order of summation (the standard floating-point dot-product bound). `terms`
// counts the products and any additions after them (bias, accumulation).
double rounding_bound(int64_t terms, double abs_sum) {
    const double u = std::ldexp(1.0, -24), lu = double(terms) * u;
    return lu / (1.0 - lu) * abs_sum;
}

struct Reference {
    std::vector<double> value, bound;
};

// out[r][c] = sum_i a(r, i) * b(c, i) (+ extra(c)), with its rounding bound.
template <class A, class B, class Extra>
Reference dot_products(int64_t rows, int64_t cols, int64_t len, A a, B b, Extra extra, int64_t extra_terms) {
    Reference ref{std::vector<double>(size_t(rows * cols)), std::vector<double>(size_t(rows * cols))};
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
            double s = extra(c), abs_sum = std::fabs(extra(c));
            for (int64_t i = 0; i < len; ++i) {
                const double t = double(a(r, i)) * double(b(c, i));
                s += t;
                abs_sum += std::fabs(t);
            }
            ref.value[size_t(r * cols + c)] = s;
            ref.bound[size_t(r * cols + c)] = rounding_bound(len + extra_terms, abs_sum);
        }
    return ref;
}

void require_within(const Tensor& got, const Reference& ref, const char* what) {
    INFO(what);
    REQUIRE(got.numel() == int64_t(ref.value.size()));
    int64_t outside = 0;
    for (size_t i = 0; i < ref.value.size(); ++i)
        outside += std::fabs(double(got.data()[i]) - ref.value[i]) > ref.bound[i];
    CHECK(outside == 0);
}

}  // namespace

TEST_CASE("f32 linear at the models' shapes: forward and gradients match double loops on each back end", "[core][linear]") {
    struct Case {
        const char* what;
        int64_t M, K, N;  // tokens, in features, out features
        bool varying;     // as an MoE expert's rows (Rows::varying)
        bool primitive;   // expected: the cached primitive (else dnnl_sgemm)
    };
    const Case cases[] = {
        {"d 128 -> d_ff 512, 16 x 64 tokens (primitive)", 1024, 128, 512, false, true},
        {"d_ff 512 -> d 128 (primitive)", 1024, 512, 128, false, true},
        {"d 96 -> 3 d (attention's qkv; primitive)", 512, 96, 288, false, true},
        {"an MoE expert's 512 tokens (run-time sized: sgemm, though a multiple of 16)", 512, 128, 512, true, false},
        {"a token count not a multiple of 16 (sgemm)", 1000, 128, 512, false, false},
    };
    Rng rng(2026);
    for (const Case& c : cases) {
        INFO(c.what);
        Var x = leaf(random_tensor({c.M, c.K}, rng), true);
        Var w = leaf(random_tensor({c.N, c.K}, rng, 0.1f), true);
        Var b = leaf(random_tensor({c.N}, rng), true);
        Var r = leaf(random_tensor({c.M, c.N}, rng));  // the output's gradient
        const size_t sgemm_before = sgemm_calls();
        Var y = linear(x, w, b, c.varying ? Rows::varying : Rows::fixed);
        backward(sum(mul(y, r)));  // d sum(y * r) / dy = r exactly
        const size_t sgemm_used = sgemm_calls() - sgemm_before;
        if (c.primitive) CHECK(sgemm_used == 0);
        else CHECK(sgemm_used == 3);  // y, dx and dw

        const float* X = x->value.data();
        const float* Wt = w->value.data();
        const float* B = b->value.data();
        const float* R = r->value.data();
        // y[m][n] = sum_k x[m][k] w[n][k] + b[n]
        require_within(y->value, dot_products(c.M, c.N, c.K, [&](int64_t m, int64_t k) { return X[m * c.K + k]; },
                                              [&](int64_t n, int64_t k) { return Wt[n * c.K + k]; },
                                              [&](int64_t n) { return double(B[n]); }, 1), "y");
        // dx[m][k] = sum_n r[m][n] w[n][k]
        require_within(x->grad, dot_products(c.M, c.K, c.N, [&](int64_t m, int64_t n) { return R[m * c.N + n]; },
                                             [&](int64_t k, int64_t n) { return Wt[n * c.K + k]; },
                                             [](int64_t) { return 0.0; }, 1), "dx");
        // dw[n][k] = sum_m r[m][n] x[m][k]  (accumulated into a zeroed gradient)
        require_within(w->grad, dot_products(c.N, c.K, c.M, [&](int64_t n, int64_t m) { return R[m * c.N + n]; },
                                             [&](int64_t k, int64_t m) { return X[m * c.K + k]; },
                                             [](int64_t) { return 0.0; }, 1), "dw");
        // db[n] = sum_m r[m][n]
        require_within(b->grad, dot_products(1, c.N, c.M, [](int64_t, int64_t) { return 1.0f; },
                                             [&](int64_t n, int64_t m) { return R[m * c.N + n]; },
                                             [](int64_t) { return 0.0; }, 1), "db");
    }
}
