// Forward values of every op against naive loops or hand-computed numbers.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "core/dnn.hpp"
#include "core/kernels.hpp"
#include "core/ops.hpp"
#include "tests/support/gradcheck.hpp"

using namespace altup;
using altup::testing::random_tensor;
using Catch::Matchers::WithinAbs;

namespace {
Var val(const Shape& s, const std::vector<float>& v) { return leaf(Tensor::from(s, v)); }
void require_close(const Tensor& got, const std::vector<float>& want, double tol = 1e-5) {
    REQUIRE(got.numel() == static_cast<int64_t>(want.size()));
    for (size_t i = 0; i < want.size(); ++i) {
        INFO("element " << i);
        CHECK_THAT(got.data()[i], WithinAbs(want[i], tol));
    }
}
}  // namespace

TEST_CASE("matmul, bmm and linear match naive loops", "[core][forward]") {
    Rng rng(1);
    const int64_t M = 5, K = 7, N = 3;
    Var a = leaf(random_tensor({M, K}, rng)), b = leaf(random_tensor({K, N}, rng)), bias = leaf(random_tensor({N}, rng));
    Var bt = leaf(random_tensor({N, K}, rng));
    std::vector<float> ab(M * N), abt(M * N), lin(M * N);
    for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
            double s1 = 0, s2 = 0;
            for (int64_t k = 0; k < K; ++k) {
                s1 += a->value.data()[m * K + k] * b->value.data()[k * N + n];
                s2 += a->value.data()[m * K + k] * bt->value.data()[n * K + k];
            }
            ab[m * N + n] = float(s1);
            abt[m * N + n] = float(s2);
            lin[m * N + n] = float(s2 + bias->value.data()[n]);
        }
    require_close(matmul(a, b)->value, ab, 1e-4);
    require_close(matmul(a, bt, true)->value, abt, 1e-4);
    require_close(linear(a, bt, bias)->value, lin, 1e-4);
    // bmm: two batches of the same product, the second scaled by alpha.
    Var a2 = leaf(Tensor::empty({2, M, K})), b2 = leaf(Tensor::empty({2, K, N}));
    a2->value.select0(0).copy_from(a->value);
    a2->value.select0(1).copy_from(a->value);
    b2->value.select0(0).copy_from(b->value);
    b2->value.select0(1).copy_from(b->value);
    Var c2 = bmm(a2, b2, false, 2.0f);
    std::vector<float> twice(ab);
    for (auto& v : twice) v *= 2.0f;
    require_close(c2->value.select0(0), twice, 1e-4);
    require_close(c2->value.select0(1), twice, 1e-4);
}

TEST_CASE("irregular shapes (dnnl_sgemm path) match naive loops, with bias and accumulation", "[core][forward]") {
    Rng rng(3);
    const int64_t M = 7, K = 5, N = 3;  // not multiples of 16
    Var a = leaf(random_tensor({M, K}, rng)), w = leaf(random_tensor({N, K}, rng)), bias = leaf(random_tensor({N}, rng));
    std::vector<float> want(M * N);
    for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
            double acc = bias->value.data()[n];
            for (int64_t k = 0; k < K; ++k) acc += a->value.data()[m * K + k] * w->value.data()[n * K + k];
            want[m * N + n] = float(acc);
        }
    const size_t before = dnn::primitives_created();
    require_close(linear(a, w, bias)->value, want, 1e-4);
    CHECK(dnn::primitives_created() == before);  // no primitive for a one-off shape
}

TEST_CASE("primitives are created once per shape and reused", "[core][forward]") {
    Rng rng(2);
    Var a = leaf(random_tensor({16, 32}, rng)), b = leaf(random_tensor({32, 48}, rng));
    matmul(a, b);
    const size_t before = dnn::primitives_created();
    for (int i = 0; i < 3; ++i) matmul(a, b);
    CHECK(dnn::primitives_created() == before);
}

TEST_CASE("elementwise ops and activations", "[core][forward]") {
    Var a = val({2, 2}, {1, -2, 3, -4});
    Var b = val({2}, {10, 20});
    require_close(add(a, b)->value, {11, 18, 13, 16});
    require_close(sub(a, b)->value, {-9, -22, -7, -24});
    require_close(mul(a, b)->value, {10, -40, 30, -80});
    require_close(scale(a, 0.5f)->value, {0.5f, -1, 1.5f, -2});
    require_close(relu(a)->value, {1, 0, 3, 0});
    std::vector<float> g, t;
    for (float x : {1.f, -2.f, 3.f, -4.f}) {
        g.push_back(0.5f * x * (1.0f + std::tanh(0.7978845608f * (x + 0.044715f * x * x * x))));
        t.push_back(std::tanh(x));
    }
    require_close(gelu(a)->value, g, 1e-5);
    require_close(tanh(a)->value, t, 1e-6);
}

TEST_CASE("kernels::exp_fast matches std::exp within a few ulp", "[core][forward]") {
    double worst = 0.0;
    for (int i = 0; i <= 200000; ++i) {
        const float x = -87.0f + 175.0f * float(i) / 200000.0f;  // the whole finite range
        const double ref = std::exp(double(x));
        worst = std::max(worst, std::fabs(double(altup::kernels::exp_fast(x)) - ref) / ref);
    }
    CHECK(worst < 3e-7);  // 2.5 ulp at float's 1.19e-7 spacing
    CHECK(altup::kernels::exp_fast(0.0f) == 1.0f);
    CHECK(altup::kernels::exp_fast(-88.0f) == 0.0f);  // below float's normal range
    CHECK(altup::kernels::exp_fast(-1e30f) == 0.0f);
    CHECK(std::isfinite(altup::kernels::exp_fast(1e30f)));  // saturates, never inf
}

TEST_CASE("altup::kernels::max_of is a left-to-right std::max at every length", "[core][forward]") {
    Rng rng(7);
    for (int64_t n : {1, 2, 15, 16, 17, 33, 128, 8192 + 5}) {
        std::vector<float> x(static_cast<size_t>(n));
        for (float& v : x) v = float(rng.normal());
        float expected = x[0];
        for (int64_t i = 1; i < n; ++i) expected = std::max(expected, x[i]);
        CHECK(altup::kernels::max_of(x.data(), n) == expected);
        x[n - 1] = 100.0f;  // the tail, past the last full group of sixteen
        CHECK(altup::kernels::max_of(x.data(), n) == 100.0f);
    }
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<float> later_nan{1.0f, nan, 3.0f, -2.0f};
    CHECK(altup::kernels::max_of(later_nan.data(), 4) == 3.0f);  // std::max(3, NaN) keeps 3
    const std::vector<float> first_nan{nan, 1.0f, 3.0f};
    CHECK(std::isnan(altup::kernels::max_of(first_nan.data(), 3)));  // std::max(NaN, x) keeps NaN
}

TEST_CASE("kernels::add_column_sums_and_round: row-order column sums and the bf16 rounding in one pass", "[core][forward]") {
    Rng rng(11);
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{3, 5}, {7, 64}, {33, 130}, {512, 256}}) {  // the last runs in parallel
        std::vector<float> x(static_cast<size_t>(rows * cols)), sums(static_cast<size_t>(cols), 0.5f);
        for (float& v : x) v = float(rng.normal());
        std::vector<float> expected(sums);
        for (int64_t c = 0; c < cols; ++c) {
            float acc = 0.0f;  // each column summed from the first row down, then added
            for (int64_t r = 0; r < rows; ++r) acc += x[size_t(r * cols + c)];
            expected[size_t(c)] += acc;
        }
        std::vector<uint16_t> x16(x.size()), expected16(x.size());
        altup::dnn::to_bf16(x.data(), expected16.data(), int64_t(x.size()));
        altup::kernels::add_column_sums_and_round(rows, cols, x.data(), sums.data(), x16.data());
        CHECK(sums == expected);
        CHECK(x16 == expected16);
    }
}

TEST_CASE("softmax", "[core][forward]") {
    // softmax([0, ln 3]) = [1/4, 3/4]
    require_close(softmax(val({1, 2}, {0.0f, std::log(3.0f)}))->value, {0.25f, 0.75f});
}

TEST_CASE("layernorm and rmsnorm match their definitions", "[core][forward]") {
    Var x = val({2, 4}, {1, 2, 3, 4, -1, 0, 0, 1});
    Var gamma = val({4}, {1, 2, 1, 1}), beta = val({4}, {0, 0, 1, 0});
    std::vector<float> ln, rms;
    for (int r = 0; r < 2; ++r) {
        const float* xr = x->value.data() + 4 * r;
        double mu = 0, var = 0, ss = 0;
        for (int c = 0; c < 4; ++c) { mu += xr[c]; ss += xr[c] * xr[c]; }
        mu /= 4;
        for (int c = 0; c < 4; ++c) var += (xr[c] - mu) * (xr[c] - mu);
        var /= 4;
        for (int c = 0; c < 4; ++c) {
            ln.push_back(float((xr[c] - mu) / std::sqrt(var + 1e-5) * gamma->value.data()[c] + beta->value.data()[c]));
            rms.push_back(float(xr[c] / std::sqrt(ss / 4 + 1e-6) * gamma->value.data()[c]));
        }
    }
    require_close(layernorm(x, gamma, beta)->value, ln, 1e-4);
    require_close(rmsnorm(x, gamma)->value, rms, 1e-5);
}

TEST_CASE("indexing and shape ops", "[core][forward]") {
    Var table = val({3, 2}, {0, 1, 10, 11, 20, 21});
    require_close(embedding(table, {2, 0, 2})->value, {20, 21, 0, 1, 20, 21});
    require_close(scatter_add_rows(val({2, 2}, {1, 2, 3, 4}), {1, 1}, val({2}, {1, 10}), 3)->value, {0, 0, 31, 42, 0, 0});
    Var a = val({2, 2}, {1, 2, 3, 4}), b = val({2, 1}, {9, 8});
    require_close(concat({a, b})->value, {1, 2, 9, 3, 4, 8});
    require_close(slice(concat({a, b}), 1, 2)->value, {2, 9, 4, 8});
    // [B=1, T=2, H=2, D=1] -> [1, 2, 2, 1]: element (t, h) moves to (h, t).
    require_close(transpose_heads(val({1, 2, 2, 1}, {1, 2, 3, 4}))->value, {1, 3, 2, 4});
    require_close(sum(a)->value, {10});
    require_close(mean(a)->value, {2.5f});
}

TEST_CASE("cross-entropy: closed form, ignore index", "[core][forward]") {
    // Row 0: p(target=1) = 3/4 -> ln(4/3). Row 1 ignored. Row 2: uniform over 2 -> ln 2.
    Var logits = val({3, 2}, {0, std::log(3.0f), 5, -5, 1, 1});
    Var loss = cross_entropy(logits, {1, -100, 0});
    CHECK_THAT(loss->value.item(), WithinAbs((std::log(4.0 / 3.0) + std::log(2.0)) / 2.0, 1e-5));
}

TEST_CASE("AltUp predict and correct on a hand-worked example", "[core][forward][altup]") {
    // K = 2, d = 1, one token: x = (1, 2); p = [[1, 0.5], [0, 2]] -> xhat = (2, 4).
    Var x = val({1, 2}, {1, 2});
    Var p = val({2, 2}, {1, 0.5f, 0, 2});
    Var xhat = altup_predict(x, p, 2);
    require_close(xhat->value, {2, 4});
    // Layer output xtilde = 10 on block j = 1; g = (0.5, 1):
    // y0 = 2 + 0.5 (10 - 4) = 5, y1 = 4 + 1 (10 - 4) = 10.
    require_close(altup_correct(xhat, val({1, 1}, {10}), val({2}, {0.5f, 1}), 2, 1)->value, {5, 10});
    require_close(weighted_sum({val({2}, {1, 2}), val({2}, {3, 4})}, val({2}, {2, -1}))->value, {-1, 0});
}

TEST_CASE("fused AltUp predict-correct equals predict then correct, bit for bit", "[core][forward][altup]") {
    Rng rng(77);
    const int64_t N = 37, d = 20;
    for (int K : {2, 3, 4, 5}) {  // the fixed-K kernels (2, 3, 4) and the generic loops
        Var x = leaf(random_tensor({N, K * d}, rng, 1.0f)), t = leaf(random_tensor({N, d}, rng, 1.0f));
        Var p = leaf(random_tensor({K, K}, rng, 1.0f)), g = leaf(random_tensor({K}, rng, 1.0f));
        for (int j = 0; j < K; ++j) {
            const Tensor fused = altup_predict_correct(x, t, p, g, K, j)->value;
            const Tensor composed = altup_correct(altup_predict(x, p, K), t, g, K, j)->value;
            for (int64_t i = 0; i < fused.numel(); ++i) REQUIRE(fused.data()[i] == composed.data()[i]);
            // The selected block is y's block, copied.
            AltUpFusion select;
            select.next_j = K - 1 - j;
            auto [y, block] = altup_predict_correct_fused(x, t, p, g, K, j, select);
            const Tensor expected = slice(y, (K - 1 - j) * d, d)->value;
            for (int64_t i = 0; i < expected.numel(); ++i) REQUIRE(block->value.data()[i] == expected.data()[i]);
            // One block standing for K equal ones, and the output's block sum
            // taken in the op: the same bits as the composed forms.
            Var e = leaf(random_tensor({N, d}, rng, 1.0f)), w = leaf(random_tensor({K}, rng, 1.0f));
            AltUpFusion replicated;
            replicated.x_replicated = true;
            const Tensor rep = altup_predict_correct_fused(e, t, p, g, K, j, replicated).y->value;
            const Tensor rep_composed = altup_predict_correct(concat(std::vector<Var>(K, e)), t, p, g, K, j)->value;
            REQUIRE(rep.shape() == rep_composed.shape());
            for (int64_t i = 0; i < rep.numel(); ++i) REQUIRE(rep.data()[i] == rep_composed.data()[i]);
            AltUpFusion summed;
            summed.out_weights = w;
            const Tensor sum = altup_predict_correct_fused(x, t, p, g, K, j, summed).y->value;
            const Tensor sum_composed = altup_block_sum(altup_predict_correct(x, t, p, g, K, j), w, K)->value;
            REQUIRE(sum.shape() == Shape{N, d});
            for (int64_t i = 0; i < sum.numel(); ++i) REQUIRE(sum.data()[i] == sum_composed.data()[i]);
        }
    }
}

TEST_CASE("AltUp block sum equals the weighted sum of the blocks' slices, bit for bit", "[core][forward][altup]") {
    Rng rng(78);
    const int K = 3;
    const int64_t N = 9, d = 20;
    Var x = leaf(random_tensor({N, K * d}, rng, 1.0f)), w = leaf(random_tensor({K}, rng, 1.0f));
    const Tensor fused = altup_block_sum(x, w, K)->value;
    const Tensor composed = weighted_sum({slice(x, 0, d), slice(x, d, d), slice(x, 2 * d, d)}, w)->value;
    REQUIRE(fused.shape() == Shape{N, d});
    for (int64_t i = 0; i < fused.numel(); ++i) REQUIRE(fused.data()[i] == composed.data()[i]);
    // Hand-worked: one token, blocks (1, 2), (3, 4), (5, 6), w = (1, -1, 2) -> (8, 10).
    require_close(altup_block_sum(val({1, 6}, {1, 2, 3, 4, 5, 6}), val({3}, {1, -1, 2}), 3)->value, {8, 10});
}

TEST_CASE("Sequence-AltUp mix on a hand-worked example", "[core][forward][altup]") {
    // B = 1, T = 4, stride 2, d = 1: computed tokens 0 and 2 with layer outputs 10, 20.
    Var x = val({4, 1}, {1, 2, 3, 4});
    Var xt = val({2, 1}, {10, 20});
    // coef (a, b, g) = (1, 0.5, 2): y1 = 2 + 0.5*1 + 2*(10 - 1) = 20.5; y3 = 4 + 1.5 + 2*(20 - 3) = 39.5
    require_close(sequence_altup_mix(x, xt, val({3}, {1, 0.5f, 2}), 1, 4, 2)->value, {10, 20.5f, 20, 39.5f});
    // Stride-and-skip: skipped tokens pass through.
    require_close(sequence_altup_mix(x, xt, nullptr, 1, 4, 2)->value, {10, 2, 20, 4});
}

TEST_CASE("Sequence-AltUp mix with offset 1 on a hand-worked example", "[core][forward][altup]") {
    // B = 1, T = 4, stride 2, offset 1, d = 1: computed tokens 1 and 3 with layer outputs 10, 20;
    // token 0 has no computed token on its left and passes through.
    Var x = val({4, 1}, {1, 2, 3, 4});
    Var xt = val({2, 1}, {10, 20});
    // (a, b, g) = (1, 0.5, 2): y2 = 3 + 0.5*2 + 2*(10 - 2) = 20
    require_close(sequence_altup_mix(x, xt, val({3}, {1, 0.5f, 2}), 1, 4, 2, 1)->value, {1, 10, 20, 20});
    require_close(sequence_altup_mix(x, xt, nullptr, 1, 4, 2, 1)->value, {1, 10, 3, 20});
    // B = 2, T = 3, stride 3, offset 2: only the last token of each sequence is computed.
    require_close(sequence_altup_mix(val({6, 1}, {1, 2, 3, 4, 5, 6}), val({2, 1}, {30, 60}), val({3}, {1, 1, 1}), 2, 3, 3, 2)->value,
                  {1, 2, 30, 4, 5, 60});
    CHECK_THROWS(sequence_altup_mix(x, xt, nullptr, 1, 4, 2, 2));  // offset must be below the stride
}

TEST_CASE("clamp and rms_match", "[core][forward]") {
    require_close(clamp(val({4}, {-3, -0.5f, 0.5f, 3}), -1, 1)->value, {-1, -0.5f, 0.5f, 1});
    // y = (3, 4): rms = sqrt(12.5); ref = (1, 1): rms = 1 -> y / sqrt(12.5)
    const float s = 1.0f / std::sqrt(12.5f);
    require_close(rms_match(val({1, 2}, {3, 4}), val({1, 2}, {1, 1}), 0.0f)->value, {3 * s, 4 * s}, 1e-6);
}

TEST_CASE("fused causal attention matches the definition, head by head", "[core][forward][attention]") {
    const int64_t B = 2, T = 16, H = 4, d = 32, Dh = d / H;
    Rng rng(41);
    Tensor qkv = Tensor::empty({B * T, 3 * d});
    for (int64_t i = 0; i < qkv.numel(); ++i) qkv.data()[i] = float(rng.normal());
    Var out = causal_attention(leaf(qkv), B, T, H);
    REQUIRE(out->value.shape() == Shape{B * T, d});
    double max_err = 0;
    auto at = [&](int64_t b, int64_t t, int64_t part, int64_t h, int64_t e) {
        return double(qkv.data()[(b * T + t) * 3 * d + part * d + h * Dh + e]);
    };
    for (int64_t b = 0; b < B; ++b)
        for (int64_t h = 0; h < H; ++h)
            for (int64_t i = 0; i < T; ++i) {
                std::vector<double> w(i + 1);
                double mx = -1e300, sum = 0;
                for (int64_t j = 0; j <= i; ++j) {
                    double s = 0;
                    for (int64_t e = 0; e < Dh; ++e) s += at(b, i, 0, h, e) * at(b, j, 1, h, e);
                    w[j] = s / std::sqrt(double(Dh));
                    mx = std::max(mx, w[j]);
                }
                for (auto& x : w) sum += (x = std::exp(x - mx));
                for (int64_t e = 0; e < Dh; ++e) {
                    double ref = 0;
                    for (int64_t j = 0; j <= i; ++j) ref += w[j] / sum * at(b, j, 2, h, e);
                    max_err = std::max(max_err, std::abs(ref - out->value.data()[(b * T + i) * d + h * Dh + e]));
                }
            }
    CHECK(max_err < 1e-5);
}
