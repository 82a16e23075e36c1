// Every op's backward against central finite differences, extrapolated
// (tests/support/gradcheck.hpp: steps 4e-2 and 2e-2, truncation O(eps^4)).
#include <catch2/catch.hpp>

#include <omp.h>

#include <functional>

#include "core/dnn.hpp"
#include "core/ops.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/matmul_backend.hpp"

using namespace altup;
using altup::testing::grad_check;
using altup::testing::random_tensor;

namespace {
// Central differences extrapolated (tests/support/gradcheck.hpp) leave the
// f32 rounding of the forward pass: about 1e-3 at worst here.
constexpr double kTol = 5e-3;
Var param(const Shape& s, Rng& rng, float scale = 1.0f) { return leaf(random_tensor(s, rng, scale), true); }

}  // namespace

TEST_CASE("matmul gradient", "[core][grad]") {
    Rng rng(1);
    CHECK_GRAD([](const std::vector<Var>& v) { return matmul(v[0], v[1]); }, (std::vector<Var>{param({2, 3, 4}, rng), param({4, 5}, rng)}));
    CHECK_GRAD([](const std::vector<Var>& v) { return matmul(v[0], v[1], true); }, (std::vector<Var>{param({6, 4}, rng), param({5, 4}, rng)}));
}

TEST_CASE("matmul, bmm and linear gradients on each matmul back end, the one that ran asserted", "[core][grad]") {
    // The small shapes above go to dnnl_sgemm; the training step's products
    // take cached primitives (every dimension a multiple of 16, or a batch),
    // and an MoE expert's run-time-sized ones sgemm again.
    Rng rng(31);
    struct Case {
        const char* what;
        std::function<Var(const std::vector<Var>&)> fn;
        std::vector<Var> inputs;
        bool sgemm;
    };
    const std::vector<Case> cases = {
        {"linear 16x32 . 32x16 + bias: primitive", [](const std::vector<Var>& v) { return linear(v[0], v[1], v[2]); },
         {param({16, 32}, rng, 0.5f), param({16, 32}, rng, 0.5f), param({16}, rng)}, false},
        {"linear, an MoE expert's rows: sgemm",
         [](const std::vector<Var>& v) { return linear(v[0], v[1], v[2], Rows::varying); },
         {param({16, 32}, rng, 0.5f), param({16, 32}, rng, 0.5f), param({16}, rng)}, true},
        {"linear 5x7 . 7x3: sgemm", [](const std::vector<Var>& v) { return linear(v[0], v[1], v[2]); },
         {param({5, 7}, rng), param({3, 7}, rng), param({3}, rng)}, true},
        {"matmul 16x32 . 32x16: primitive", [](const std::vector<Var>& v) { return matmul(v[0], v[1]); },
         {param({16, 32}, rng, 0.5f), param({32, 16}, rng, 0.5f)}, false},
        {"bmm 2 x (5x4 . 4x3), batched: primitive", [](const std::vector<Var>& v) { return bmm(v[0], v[1]); },
         {param({2, 5, 4}, rng), param({2, 4, 3}, rng)}, false},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        const size_t before = testing::sgemm_calls();
        CHECK_GRAD(c.fn, c.inputs);
        CHECK((testing::sgemm_calls() > before) == c.sgemm);
    }
}

TEST_CASE("batched matmul gradient", "[core][grad]") {
    Rng rng(2);
    CHECK_GRAD([](const std::vector<Var>& v) { return bmm(v[0], v[1], false, 0.5f); }, (std::vector<Var>{param({2, 2, 3, 4}, rng), param({2, 2, 4, 3}, rng)}));
    CHECK_GRAD([](const std::vector<Var>& v) { return bmm(v[0], v[1], true); }, (std::vector<Var>{param({3, 5, 4}, rng), param({3, 6, 4}, rng)}));
}

TEST_CASE("linear with bias gradient", "[core][grad]") {
    Rng rng(3);
    CHECK_GRAD([](const std::vector<Var>& v) { return linear(v[0], v[1], v[2]); },
               (std::vector<Var>{param({2, 3, 5}, rng), param({4, 5}, rng), param({4}, rng)}));
}

TEST_CASE("add, sub, mul broadcast over leading dims, and scale", "[core][grad]") {
    Rng rng(4);
    CHECK_GRAD([](const std::vector<Var>& v) { return add(v[0], v[1]); }, (std::vector<Var>{param({3, 4}, rng), param({4}, rng)}));
    CHECK_GRAD([](const std::vector<Var>& v) { return sub(v[0], v[1]); }, (std::vector<Var>{param({2, 3, 4}, rng), param({3, 4}, rng)}));
    CHECK_GRAD([](const std::vector<Var>& v) { return mul(v[0], v[1]); }, (std::vector<Var>{param({3, 4}, rng), param({4}, rng)}));
    CHECK_GRAD([](const std::vector<Var>& v) { return mul(v[0], v[1]); }, (std::vector<Var>{param({3, 4}, rng), param({3, 4}, rng)}));
    CHECK_GRAD([](const std::vector<Var>& v) { return scale(v[0], -1.5f); }, (std::vector<Var>{param({5}, rng)}));
}

TEST_CASE("activations: GELU, ReLU, tanh", "[core][grad]") {
    Rng rng(5);
    CHECK_GRAD([](const std::vector<Var>& v) { return gelu(v[0]); }, (std::vector<Var>{param({4, 6}, rng)}));
    CHECK_GRAD([](const std::vector<Var>& v) { return tanh(v[0]); }, (std::vector<Var>{param({4, 6}, rng)}));
    // ReLU: keep inputs away from the kink at 0, where the derivative is undefined.
    Var x = param({4, 6}, rng);
    for (int64_t i = 0; i < x->value.numel(); ++i) {
        float& v = x->value.data()[i];
        if (std::fabs(v) < 0.1f) v = v < 0 ? -0.5f : 0.5f;
    }
    CHECK_GRAD([](const std::vector<Var>& v) { return relu(v[0]); }, (std::vector<Var>{x}));
}

TEST_CASE("softmax gradients", "[core][grad]") {
    Rng rng(6);
    CHECK_GRAD([](const std::vector<Var>& v) { return softmax(v[0]); }, (std::vector<Var>{param({3, 7}, rng)}));
}

TEST_CASE("layernorm and rmsnorm gradients", "[core][grad]") {
    Rng rng(7);
    CHECK_GRAD([](const std::vector<Var>& v) { return layernorm(v[0], v[1], v[2]); },
               (std::vector<Var>{param({4, 8}, rng), param({8}, rng), param({8}, rng)}));
    CHECK_GRAD([](const std::vector<Var>& v) { return rmsnorm(v[0], v[1]); }, (std::vector<Var>{param({4, 8}, rng), param({8}, rng)}));
}

TEST_CASE("embedding, gather and scatter-add of rows", "[core][grad]") {
    Rng rng(8);
    const std::vector<int32_t> ids{3, 0, 3, 1};  // a repeated id: its gradient rows add up
    CHECK_GRAD([&](const std::vector<Var>& v) { return embedding(v[0], ids); }, (std::vector<Var>{param({5, 3}, rng)}));
    CHECK_GRAD([&](const std::vector<Var>& v) { return gather_rows(v[0], ids); }, (std::vector<Var>{param({4, 2}, rng)}));
    CHECK_GRAD([&](const std::vector<Var>& v) { return scatter_add_rows(v[0], ids, v[1], 6); },
               (std::vector<Var>{param({4, 3}, rng), param({4}, rng)}));
}

TEST_CASE("concat, slice, reshape, transpose of heads", "[core][grad]") {
    Rng rng(9);
    CHECK_GRAD([](const std::vector<Var>& v) { return concat({v[0], v[1], v[0]}); }, (std::vector<Var>{param({2, 3}, rng), param({2, 2}, rng)}));
    CHECK_GRAD([](const std::vector<Var>& v) { return slice(v[0], 1, 3); }, (std::vector<Var>{param({3, 5}, rng)}));
    CHECK_GRAD([](const std::vector<Var>& v) { return mul(slice(v[0], 0, 2), slice(v[0], 2, 2)); },
               (std::vector<Var>{param({3, 5}, rng)}));
    CHECK_GRAD([](const std::vector<Var>& v) { return reshape(v[0], {4, 3}); }, (std::vector<Var>{param({2, 6}, rng)}));
    CHECK_GRAD([](const std::vector<Var>& v) { return transpose_heads(v[0]); }, (std::vector<Var>{param({2, 3, 2, 4}, rng)}));
}

TEST_CASE("sum and mean", "[core][grad]") {
    Rng rng(10);
    CHECK_GRAD([](const std::vector<Var>& v) { return sum(v[0]); }, (std::vector<Var>{param({3, 4}, rng)}));
    CHECK_GRAD([](const std::vector<Var>& v) { return mean(v[0]); }, (std::vector<Var>{param({3, 4}, rng)}));
}

TEST_CASE("cross-entropy with an ignored target", "[core][grad]") {
    Rng rng(11);
    const std::vector<int32_t> targets{2, -100, 0, 4};
    CHECK_GRAD([&](const std::vector<Var>& v) { return cross_entropy(v[0], targets); }, (std::vector<Var>{param({4, 5}, rng)}));
}

TEST_CASE("weighted sum by scalar parameters, AltUp predict and correct", "[core][grad][altup]") {
    Rng rng(12);
    CHECK_GRAD([](const std::vector<Var>& v) { return weighted_sum({v[0], v[1], v[2]}, v[3]); },
               (std::vector<Var>{param({2, 3}, rng), param({2, 3}, rng), param({2, 3}, rng), param({3}, rng)}));
    const int K = 3, d = 4, N = 5;
    CHECK_GRAD([&](const std::vector<Var>& v) { return altup_block_sum(v[0], v[1], K); },
               (std::vector<Var>{param({N, K * d}, rng), param({K}, rng)}));
    CHECK_GRAD([&](const std::vector<Var>& v) { return altup_predict(v[0], v[1], K); },
               (std::vector<Var>{param({N, K * d}, rng), param({K, K}, rng)}));
    for (int j = 0; j < K; ++j)
        CHECK_GRAD([&](const std::vector<Var>& v) { return altup_correct(v[0], v[1], v[2], K, j); },
                   (std::vector<Var>{param({N, K * d}, rng), param({N, d}, rng), param({K}, rng)}));
    // The fused op has a single-pass kernel for K = 2, 3, 4 and loops over
    // blocks for any other K: both checked.
    for (int kk : {2, 3, 4, 5})
        for (int j = 0; j < kk; ++j)
            CHECK_GRAD([&](const std::vector<Var>& v) { return altup_predict_correct(v[0], v[1], v[2], v[3], kk, j); },
                       (std::vector<Var>{param({N, kk * d}, rng), param({N, d}, rng), param({kk, kk}, rng), param({kk}, rng)}));
}

TEST_CASE("AltUp predict-correct fused with its neighbours: selected block, replicated input, output sum", "[core][grad][altup]") {
    Rng rng(15);
    const int d = 4, N = 5;
    for (int kk : {2, 3, 5}) {  // fixed-K kernels and generic loops
        auto params = [&](int64_t x_width) {
            return std::vector<Var>{param({N, x_width}, rng), param({N, d}, rng), param({kk, kk}, rng), param({kk}, rng)};
        };
        for (int next : {0, kk - 1}) {
            AltUpFusion select;
            select.next_j = next;
            // Both outputs read downstream, as in a model: y by the next layer's
            // predict-correct, the block by the next layer itself.
            CHECK_GRAD([&](const std::vector<Var>& v) {
                const auto out = altup_predict_correct_fused(v[0], v[1], v[2], v[3], kk, 1, select);
                return concat({out.y, tanh(out.selected)});
            }, params(kk * d));
            // Only the block read: y's backward must still run.
            CHECK_GRAD([&](const std::vector<Var>& v) {
                return altup_predict_correct_fused(v[0], v[1], v[2], v[3], kk, 0, select).selected;
            }, params(kk * d));
            // One block standing for all K (its gradient summed over them), with a block selected.
            AltUpFusion replicated = select;
            replicated.x_replicated = true;
            CHECK_GRAD([&](const std::vector<Var>& v) {
                const auto out = altup_predict_correct_fused(v[0], v[1], v[2], v[3], kk, 1, replicated);
                return concat({out.y, tanh(out.selected)});
            }, params(d));
        }
        // The output's block sum taken in the op, its weights trained too; with
        // a replicated input as well (a one-layer Recycled model).
        for (bool rep : {false, true}) {
            std::vector<Var> v = params(rep ? d : kk * d);
            v.push_back(param({kk}, rng));
            CHECK_GRAD([&](const std::vector<Var>& u) {
                AltUpFusion summed;
                summed.x_replicated = rep;
                summed.out_weights = u[4];
                return altup_predict_correct_fused(u[0], u[1], u[2], u[3], kk, kk - 1, summed).y;
            }, v);
        }
    }
}

TEST_CASE("Sequence-AltUp mix gradient (predict-correct and skip, every offset)", "[core][grad][altup]") {
    Rng rng(13);
    const int64_t B = 2, T = 6, d = 3;
    for (int64_t s : {2, 3})
        for (int64_t o = 0; o < s; ++o) {
            INFO("stride " << s << ", offset " << o);
            CHECK_GRAD([&](const std::vector<Var>& v) { return sequence_altup_mix(v[0], v[1], v[2], B, T, s, o); },
                       (std::vector<Var>{param({B * T, d}, rng), param({B * T / s, d}, rng), param({3}, rng)}));
            CHECK_GRAD([&](const std::vector<Var>& v) { return sequence_altup_mix(v[0], v[1], nullptr, B, T, s, o); },
                       (std::vector<Var>{param({B * T, d}, rng), param({B * T / s, d}, rng)}));
        }
}

TEST_CASE("clamp and rms_match gradients", "[core][grad]") {
    Rng rng(14);
    Var x = param({3, 4}, rng, 2.0f);
    for (int64_t i = 0; i < x->value.numel(); ++i) {  // keep away from the clamp's kinks at +-1
        float& v = x->value.data()[i];
        if (std::fabs(std::fabs(v) - 1.0f) < 0.1f) v *= 1.3f;
    }
    CHECK_GRAD([](const std::vector<Var>& v) { return clamp(v[0], -1.0f, 1.0f); }, (std::vector<Var>{x}));
    CHECK_GRAD([](const std::vector<Var>& v) { return rms_match(v[0], v[1]); }, (std::vector<Var>{param({3, 5}, rng), param({3, 5}, rng)}));
}

TEST_CASE("fused causal attention gradient", "[core][grad][attention]") {
    Rng rng(31);
    // B 2, T 5, H 2, d 6 (Dh 3): q, k and v come out of one packed [B*T, 3d] buffer.
    CHECK_GRAD([](const std::vector<Var>& v) { return causal_attention(v[0], 2, 5, 2); },
               (std::vector<Var>{param({10, 18}, rng)}));
}

TEST_CASE("a node read by several ops gets the sum of their gradients", "[core][grad]") {
    // The first op to reach a node's gradient in the backward pass writes it
    // (no zero-fill), the later ones add to it. Here h, a and qkv are each read
    // by two or three ops of the kinds that write: linear, add, GELU,
    // layernorm, attention and cross-entropy (twice on the same logits).
    Rng rng(32);
    const std::vector<int32_t> t1{0, 1, 2, 3, 0, 1, 2, 3, 0, 1}, t2{3, 3, 2, 2, 1, 1, 0, -100, 0, 1};
    CHECK_GRAD(
        [&](const std::vector<Var>& v) {
            const Var& x = v[0];
            Var h = gelu(x);
            Var a = add(linear(h, v[1], nullptr), gelu(h));
            Var qkv = linear(layernorm(a, v[3], v[4]), v[2], nullptr);
            Var o = add(causal_attention(qkv, 2, 5, 2), a);
            Var logits = add(o, linear(slice(qkv, 0, 4), v[1], nullptr));
            return add(cross_entropy(logits, t1), cross_entropy(logits, t2));
        },
        (std::vector<Var>{param({10, 4}, rng), param({4, 4}, rng), param({12, 4}, rng), param({4}, rng), param({4}, rng)}));
}

TEST_CASE("AltUp scalar gradients do not depend on the thread count", "[core][grad][altup]") {
    // The reductions over tokens run in parallel over fixed chunks: 1 and 3
    // threads must give bit-identical gradients (reproducible runs on any machine).
    auto grads = [](int threads) {
        omp_set_num_threads(threads);
        Rng rng(77);
        Var x = param({300, 2 * 24}, rng), p = param({2, 2}, rng), xt = param({300, 24}, rng), g = param({2}, rng);
        Var y = altup_correct(altup_predict(x, p, 2), xt, g, 2, 1);
        backward(sum(mul(y, leaf(random_tensor(y->value.shape(), rng)))));
        std::vector<float> out(p->grad.data(), p->grad.data() + 4);
        out.insert(out.end(), g->grad.data(), g->grad.data() + 2);
        return out;
    };
    const int before = omp_get_max_threads();
    const std::vector<float> one = grads(1), three = grads(3);
    omp_set_num_threads(before);
    CHECK(one == three);
}
