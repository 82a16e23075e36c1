#include <catch2/catch.hpp>

#include "core/ops.hpp"

using namespace altup;

TEST_CASE("a tensor used twice accumulates both gradients", "[core][autograd]") {
    Var x = leaf(Tensor::from({2}, {3, -1}), true);
    // f = sum(x * x + 2x): df/dx = 2x + 2
    Var f = sum(add(mul(x, x), scale(x, 2.0f)));
    backward(f);
    CHECK(x->grad.data()[0] == Approx(8.0f));
    CHECK(x->grad.data()[1] == Approx(0.0f));
    // A second backward accumulates on top (parameters' grads are zeroed by the trainer).
    Var g = sum(x);
    backward(g);
    CHECK(x->grad.data()[0] == Approx(9.0f));
}

TEST_CASE("no_grad records nothing", "[core][autograd]") {
    clear_tape();
    Var x = leaf(Tensor::from({2}, {1, 2}), true);
    {
        NoGradGuard guard;
        Var y = mul(x, x);
        CHECK_FALSE(y->requires_grad);
        CHECK(tape_size() == 0);
    }
    Var z = mul(x, x);
    CHECK(z->requires_grad);
    CHECK(tape_size() == 1);
    clear_tape();
}

TEST_CASE("ops on constants only are not recorded", "[core][autograd]") {
    clear_tape();
    Var a = leaf(Tensor::from({2}, {1, 2}));
    Var b = add(a, a);
    CHECK_FALSE(b->requires_grad);
    CHECK(tape_size() == 0);
}

TEST_CASE("backward rejects a non-scalar loss", "[core][autograd]") {
    Var x = leaf(Tensor::from({2}, {1, 2}), true);
    Var y = mul(x, x);
    CHECK_THROWS_WITH(backward(y), Catch::Contains("scalar"));
    clear_tape();
}

TEST_CASE("views share storage: reshape and slices", "[core][tensor]") {
    Tensor t = Tensor::from({2, 3}, {0, 1, 2, 3, 4, 5});
    Tensor r = t.reshape({3, -1});
    CHECK(r.dim(1) == 2);
    r.data()[0] = 42;
    CHECK(t.data()[0] == 42);
    Tensor row = t.select0(1);
    CHECK(row.numel() == 3);
    CHECK(row.data()[0] == 3);
    CHECK_THROWS(t.reshape({4, 2}));
}

TEST_CASE("pooled storage is reused for repeated shapes", "[core][tensor]") {
    const float* first;
    { Tensor a = Tensor::empty({123457}); first = a.data(); }
    Tensor b = Tensor::empty({123457});
    CHECK(b.data() == first);
}
