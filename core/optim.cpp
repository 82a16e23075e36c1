#include "core/optim.hpp"

#include "core/kernels.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace altup {

AdamW::AdamW(ParamStore& store, double beta1, double beta2, double eps, double weight_decay)
    : store_(store), beta1_(beta1), beta2_(beta2), eps_(eps), wd_(weight_decay) {
    m_ = Tensor::zeros({store.total()});
    v_ = Tensor::zeros({store.total()});
    for (const auto& p : store.params()) {
        const int64_t end = p.offset + numel_of(p.shape);
        // Spans run over the alignment gaps between parameters (zeros with zero
        // gradients: the update leaves them zero).
        if (!spans_.empty() && spans_.back().decay == p.decay && p.offset - spans_.back().end < ParamStore::kAlign)
            spans_.back().end = end;
        else spans_.push_back({p.offset, end, p.decay});
    }
}

void AdamW::step(double lr, float grad_scale) {
    ++t_;
    const float b1 = static_cast<float>(beta1_), b2 = static_cast<float>(beta2_);
    const float c1 = static_cast<float>(1.0 / (1.0 - std::pow(beta1_, double(t_))));
    const float c2 = static_cast<float>(1.0 / (1.0 - std::pow(beta2_, double(t_))));
    const float flr = static_cast<float>(lr), eps = static_cast<float>(eps_);
    float* w = store_.data().data();
    float* g = store_.grad().data();
    float* m = m_.data();
    float* v = v_.data();
    // One pass over weights, gradients and both moments: memory-bound, so
    // every extra pass (a decay mask, a clipping scale, zeroing) costs time.
#pragma omp parallel
    for (const Span& s : spans_) {
        const float wd = s.decay ? static_cast<float>(wd_) : 0.0f;
#pragma omp for simd schedule(static) nowait
        for (int64_t i = s.begin; i < s.end; ++i) {
            const float gi = g[i] * grad_scale;
            g[i] = 0.0f;
            m[i] = b1 * m[i] + (1.0f - b1) * gi;
            v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
            const float mhat = m[i] * c1, vhat = v[i] * c2;
            w[i] -= flr * (mhat / (std::sqrt(vhat) + eps) + wd * w[i]);
        }
    }
}

std::vector<std::pair<std::string, Tensor>> AdamW::state() { return {{"adamw.m", m_}, {"adamw.v", v_}}; }

Adafactor::Adafactor(ParamStore& store, double weight_decay, double clip_threshold, double decay_rate)
    : store_(store), wd_(weight_decay), clip_(clip_threshold), decay_rate_(decay_rate) {
    int64_t largest = 0;
    for (const auto& p : store.params()) {
        largest = std::max(largest, numel_of(p.shape));
        if (p.shape.size() == 2) {
            row_.push_back(Tensor::zeros({p.shape[0]}));
            col_.push_back(Tensor::zeros({p.shape[1]}));
            full_.emplace_back();
        } else {
            row_.emplace_back();
            col_.emplace_back();
            full_.push_back(Tensor::zeros({numel_of(p.shape)}));
        }
    }
    update_ = Tensor::empty({std::max<int64_t>(largest, 1)});
}

void Adafactor::step(double lr, float grad_scale) {
    ++t_;
    if (grad_scale != 1.0f) kernels::scale(store_.total(), grad_scale, store_.grad().data());
    const double beta2 = 1.0 - std::pow(double(t_), -decay_rate_);
    constexpr double eps1 = 1e-30;
    auto& params = store_.params();
    for (size_t k = 0; k < params.size(); ++k) {
        const ParamInfo& p = params[k];
        const int64_t n = numel_of(p.shape);
        float* w = store_.data().data() + p.offset;
        const float* g = store_.grad().data() + p.offset;
        float* u = update_.data();
        if (p.shape.size() == 2) {
            // Factored second moment: row means R, column means C; V ~ R C^T / mean(R).
            const int64_t rows = p.shape[0], cols = p.shape[1];
            float* R = row_[k].data();
            float* C = col_[k].data();
            std::vector<double> colsum(cols, 0.0);
            for (int64_t r = 0; r < rows; ++r) {
                double rs = 0.0;
                for (int64_t c = 0; c < cols; ++c) {
                    const double g2 = double(g[r * cols + c]) * g[r * cols + c] + eps1;
                    rs += g2;
                    colsum[c] += g2;
                }
                R[r] = static_cast<float>(beta2 * R[r] + (1.0 - beta2) * rs / cols);
            }
            for (int64_t c = 0; c < cols; ++c) C[c] = static_cast<float>(beta2 * C[c] + (1.0 - beta2) * colsum[c] / rows);
            double rmean = 0.0;
            for (int64_t r = 0; r < rows; ++r) rmean += R[r];
            rmean /= rows;
            for (int64_t r = 0; r < rows; ++r)
                for (int64_t c = 0; c < cols; ++c) {
                    const double vhat = double(R[r]) * C[c] / rmean;
                    u[r * cols + c] = static_cast<float>(g[r * cols + c] / std::sqrt(vhat));
                }
        } else {
            float* V = full_[k].data();
            for (int64_t i = 0; i < n; ++i) {
                V[i] = static_cast<float>(beta2 * V[i] + (1.0 - beta2) * (double(g[i]) * g[i] + eps1));
                u[i] = static_cast<float>(g[i] / std::sqrt(double(V[i])));
            }
        }
        // Update clipping: divide by max(1, RMS(u) / d).
        double ss = 0.0;
        for (int64_t i = 0; i < n; ++i) ss += double(u[i]) * u[i];
        const double denom = std::max(1.0, std::sqrt(ss / n) / clip_);
        const double wd = p.decay ? wd_ : 0.0;
        for (int64_t i = 0; i < n; ++i) w[i] -= static_cast<float>(lr * (u[i] / denom + wd * w[i]));
    }
    store_.zero_grad();
}

std::vector<std::pair<std::string, Tensor>> Adafactor::state() {
    std::vector<std::pair<std::string, Tensor>> out;
    const auto& params = store_.params();
    for (size_t k = 0; k < params.size(); ++k) {
        if (row_[k].defined()) {
            out.emplace_back("adafactor.row." + params[k].name, row_[k]);
            out.emplace_back("adafactor.col." + params[k].name, col_[k]);
        } else {
            out.emplace_back("adafactor.v." + params[k].name, full_[k]);
        }
    }
    return out;
}

std::unique_ptr<Optimizer> make_optimizer(OptimizerKind kind, ParamStore& store, double beta1, double beta2,
                                          double eps, double weight_decay) {
    switch (kind) {
        case OptimizerKind::adamw: return std::make_unique<AdamW>(store, beta1, beta2, eps, weight_decay);
        case OptimizerKind::adafactor: return std::make_unique<Adafactor>(store, weight_decay);
    }
    throw std::logic_error("make_optimizer: not an OptimizerKind");
}

double LrSchedule::at(int64_t step) const {
    const double s = static_cast<double>(step) + 1.0;  // the first step has a non-zero lr
    if (warmup > 0 && s <= warmup) return lr * s / warmup;
    switch (kind) {
        case ScheduleKind::constant: return lr;
        case ScheduleKind::rsqrt: return lr * std::sqrt(double(std::max<int64_t>(warmup, 1)) / s);
        case ScheduleKind::cosine: {
            const double span = std::max<double>(1.0, double(total_steps - warmup));
            const double progress = std::min(1.0, (s - warmup) / span);
            return lr * (min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + std::cos(M_PI * progress)));
        }
    }
    throw std::logic_error("LrSchedule: not a ScheduleKind");
}

}  // namespace altup
