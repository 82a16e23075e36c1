// One optimizer step against values worked out by hand (comments show the arithmetic).
#include <catch2/catch.hpp>

#include <cmath>

#include "core/optim.hpp"

using namespace altup;

namespace {
// The reference the fused path (clip_factor passed to Optimizer::step) must
// equal: scale every gradient so the global L2 norm is at most max_norm.
// Returns the norm before clipping.
double clip_grad_norm(const ParamStore& store, double max_norm) {
    const double norm = grad_norm({&store});
    const float factor = clip_factor(norm, max_norm);
    if (factor != 1.0f)
        for (int64_t i = 0; i < store.grad().numel(); ++i) store.grad().data()[i] *= factor;
    return norm;
}

struct TwoParams {
    ParamStore store;
    Var w, b;
    TwoParams(Shape ws, Shape bs) {
        w = store.add("w", ws, Init::zeros, 0, /*decay=*/true);
        b = store.add("b", bs, Init::zeros, 0, /*decay=*/false);
        Rng rng(0);
        store.finalize(rng);
    }
};
}  // namespace

TEST_CASE("AdamW: one step by hand", "[core][optim]") {
    TwoParams p({1}, {1});
    p.w->value.fill(1.0f);
    p.b->value.fill(1.0f);
    p.w->grad.fill(0.5f);
    p.b->grad.fill(-2.0f);
    AdamW opt(p.store, 0.9, 0.999, 1e-8, 0.01);
    opt.step(0.1);
    // w: m = 0.05, v = 0.00025; mhat = 0.5, vhat = 0.25; update = 0.5/0.5 = 1;
    //    w = 1 - 0.1 * (1 + 0.01 * 1) = 0.899
    CHECK(p.w->value.item() == Approx(0.899).epsilon(1e-6));
    // b (no decay): mhat = -2, vhat = 4, update = -1: b = 1 + 0.1 = 1.1
    CHECK(p.b->value.item() == Approx(1.1).epsilon(1e-6));
    CHECK(opt.steps_taken() == 1);
    CHECK(p.w->grad.item() == 0.0f);  // the step leaves the gradients zeroed for the next one
    CHECK(p.b->grad.item() == 0.0f);
}

TEST_CASE("Adafactor: one step by hand (factored matrix, full vector)", "[core][optim]") {
    TwoParams p({2, 2}, {1});
    const float G[4] = {1, 2, 3, 4};
    for (int i = 0; i < 4; ++i) p.w->grad.data()[i] = G[i];
    p.b->grad.fill(3.0f);
    Adafactor opt(p.store, 0.0);
    opt.step(0.1);
    // t = 1: beta2 = 1 - 1^-0.8 = 0, so R = row means of g^2 = (2.5, 12.5),
    // C = column means = (5, 10), mean(R) = 7.5, V = R C^T / 7.5
    //   = [[5/3, 10/3], [25/3, 50/3]]; U = G / sqrt(V); RMS(U) = sqrt(0.96) < 1: no clip.
    const double V[4] = {5.0 / 3, 10.0 / 3, 25.0 / 3, 50.0 / 3};
    for (int i = 0; i < 4; ++i) CHECK(p.w->value.data()[i] == Approx(-0.1 * G[i] / std::sqrt(V[i])).epsilon(1e-5));
    // Vector: V = 9, U = 3 / 3 = 1 -> b = -0.1
    CHECK(p.b->value.item() == Approx(-0.1).epsilon(1e-5));
    for (int i = 0; i < 4; ++i) CHECK(p.w->grad.data()[i] == 0.0f);
}

TEST_CASE("Adafactor clips updates whose RMS exceeds 1", "[core][optim]") {
    TwoParams p({1}, {1});
    // Second step with a gradient 10x the first: beta2 = 1 - 2^-0.8 = 0.4257;
    // V = 0.4257 * 1 + 0.5743 * 100; U = 10 / sqrt(V) > 1 -> clipped to RMS 1, i.e. U = 1.
    p.w->grad.fill(1.0f);
    Adafactor opt(p.store, 0.0);
    opt.step(0.0);
    p.w->grad.fill(10.0f);
    opt.step(1.0);
    CHECK(p.w->value.item() == Approx(-1.0).epsilon(1e-6));
}

TEST_CASE("gradient-norm clipping", "[core][optim]") {
    TwoParams p({1}, {1});
    p.w->grad.fill(3.0f);
    p.b->grad.fill(4.0f);
    CHECK(clip_grad_norm(p.store, 1.0) == Approx(5.0));
    CHECK(p.w->grad.item() == Approx(0.6).epsilon(1e-5));
    CHECK(p.b->grad.item() == Approx(0.8).epsilon(1e-5));
    CHECK(clip_grad_norm(p.store, 10.0) == Approx(1.0).epsilon(1e-5));  // under the bound: unchanged
    CHECK(p.w->grad.item() == Approx(0.6).epsilon(1e-5));
}

TEST_CASE("AdamW with a clipping factor equals clipping the gradients first", "[core][optim]") {
    // Gradient (3, 4): norm 5, clipped to 1 -> factor 0.2 (minus the 1e-6 guard).
    CHECK(grad_norm(std::vector<const ParamStore*>{}) == 0.0);
    TwoParams a({1}, {1}), b({1}, {1});
    for (TwoParams* p : {&a, &b}) {
        p->w->value.fill(1.0f);
        p->b->value.fill(1.0f);
        p->w->grad.fill(3.0f);
        p->b->grad.fill(4.0f);
    }
    CHECK(grad_norm({&a.store}) == Approx(5.0));
    CHECK(clip_factor(5.0, 1.0) == Approx(0.2).epsilon(1e-6));
    CHECK(clip_factor(5.0, 10.0) == 1.0f);
    CHECK(clip_factor(5.0, 0.0) == 1.0f);  // max_norm <= 0: no clipping
    AdamW opt_a(a.store, 0.9, 0.999, 1e-8, 0.01), opt_b(b.store, 0.9, 0.999, 1e-8, 0.01);
    for (int step = 0; step < 3; ++step) {
        clip_grad_norm(a.store, 1.0);
        opt_a.step(0.1);
        opt_b.step(0.1, clip_factor(grad_norm({&b.store}), 1.0));
        CHECK(a.w->value.item() == b.w->value.item());  // bit for bit
        CHECK(a.b->value.item() == b.b->value.item());
        for (TwoParams* p : {&a, &b}) {
            p->w->grad.fill(3.0f);
            p->b->grad.fill(4.0f);
        }
    }
    // By hand, first step of w: g = 0.6 -> mhat = 0.6, vhat = 0.36, update 1; w = 1 - 0.1 * 1.01.
    TwoParams c({1}, {1});
    c.w->value.fill(1.0f);
    c.w->grad.fill(3.0f);
    AdamW opt_c(c.store, 0.9, 0.999, 1e-8, 0.01);
    opt_c.step(0.1, 0.2f);
    CHECK(c.w->value.item() == Approx(0.899).epsilon(1e-6));
}

TEST_CASE("learning-rate schedules", "[core][optim]") {
    LrSchedule s{ScheduleKind::cosine, 1.0, 10, 110, 0.0};
    CHECK(s.at(0) == Approx(0.1));        // warmup: (0+1)/10
    CHECK(s.at(9) == Approx(1.0));        // end of warmup
    CHECK(s.at(59) == Approx(0.5));       // half way through the cosine: (1 + cos(pi/2)) / 2
    CHECK(s.at(109) == Approx(0.0).margin(1e-12));
    LrSchedule r{ScheduleKind::rsqrt, 1.0, 4, 100, 0.0};
    CHECK(r.at(15) == Approx(0.5));       // sqrt(4 / 16)
    LrSchedule c{ScheduleKind::constant, 0.3, 0, 100, 0.0};
    CHECK(c.at(50) == Approx(0.3));
}

TEST_CASE("parameters live in one flat buffer, initialised from the seed", "[core][params]") {
    auto make = [](uint64_t seed) {
        auto store = std::make_unique<ParamStore>();
        store->add("a", {2, 3}, Init::normal, 0.02f);
        store->add("p", {2, 2}, Init::identity);
        store->add("g", {2}, Init::ones);
        Rng rng(seed);
        store->finalize(rng);
        return store;
    };
    auto s1 = make(5), s2 = make(5), s3 = make(6);
    // Each parameter starts on a 16-float boundary: a at 0, p at 16, g at 32.
    CHECK(s1->total() == 34);
    CHECK(s1->count() == 12);
    CHECK(s1->data().to_vector() == s2->data().to_vector());
    CHECK(s1->data().to_vector() != s3->data().to_vector());
    const ParamInfo* p = s1->find("p");
    REQUIRE(p);
    CHECK(p->var->value.to_vector() == std::vector<float>{1, 0, 0, 1});
    CHECK(p->var->value.data() == s1->data().data() + 16);  // a view into the flat buffer
    CHECK(p->var->grad.data() == s1->grad().data() + 16);
    for (int64_t i : {6, 15, 20, 31}) CHECK(s1->data().data()[i] == 0.0f);  // the gaps are zero
}

TEST_CASE("parameters placed to follow their predecessor share no gap - AdamW leaves the gaps zero", "[core][params]") {
    ParamStore store;
    store.add("q", {3, 5}, Init::normal);
    Var k = store.add("k", {3, 5}, Init::normal, 0.02f, true, ParamStore::Place::follows);
    store.add("v", {3, 5}, Init::normal, 0.02f, true, ParamStore::Place::follows);
    store.add("after", {2}, Init::ones);
    Rng rng(1);
    store.finalize(rng);
    CHECK(store.find("k")->offset == 15);
    CHECK(store.find("v")->offset == 30);
    CHECK(store.find("after")->offset == 48);
    // AdamW over the whole buffer leaves the gap (45..47) at zero.
    for (int64_t i = 0; i < store.total(); ++i) store.grad().data()[i] = 1.0f;
    for (int64_t i = 45; i < 48; ++i) store.grad().data()[i] = 0.0f;
    AdamW opt(store, 0.9, 0.999, 1e-8, 0.1);
    opt.step(1e-2, 1.0f);
    for (int64_t i = 45; i < 48; ++i) CHECK(store.data().data()[i] == 0.0f);
    CHECK(store.find("after")->var->value.data()[0] != 1.0f);  // the span reached past the gap
}
