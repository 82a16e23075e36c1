#include "core/params.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/kernels.hpp"

namespace altup {

Var ParamStore::add(const std::string& name, const Shape& shape, Init init, float std, bool decay, Place place,
                    ParamKind kind) {
    if (finalized()) throw std::logic_error("ParamStore::add(" + name + ") after finalize()");
    if (find(name)) throw std::logic_error("ParamStore: duplicate parameter name " + name);
    ParamInfo p;
    p.name = name;
    p.shape = shape;
    p.offset = place == Place::follows ? total_ : (total_ + kAlign - 1) / kAlign * kAlign;
    p.init = init;
    p.std = std;
    p.decay = decay;
    p.kind = kind;
    p.var = leaf(Tensor(), true, name);
    total_ = p.offset + numel_of(shape);
    params_.push_back(p);
    return p.var;
}

Var ParamStore::add_values(const std::string& name, const Shape& shape, std::vector<float> values, bool decay,
                           ParamKind kind) {
    if (static_cast<int64_t>(values.size()) != numel_of(shape))
        throw std::logic_error("ParamStore::add_values(" + name + "): wrong number of values");
    Var v = add(name, shape, Init::values, 0, decay, Place::aligned, kind);
    params_.back().values = std::move(values);
    return v;
}

void ParamStore::finalize(Rng& rng) {
    data_ = Tensor::zeros({total_});  // the alignment gaps included
    grad_ = Tensor::zeros({total_});
    for (auto& p : params_) {
        const int64_t n = numel_of(p.shape);
        p.var->value = data_.slice0(p.offset, n).reshape(p.shape);
        p.var->grad = grad_.slice0(p.offset, n).reshape(p.shape);
        if (p.init == Init::values)
            std::copy(p.values.begin(), p.values.end(), p.var->value.data());
        else
            initialize(p.var->value, p.init, p.std, rng);
    }
}

int64_t ParamStore::count() const {
    int64_t n = 0;
    for (const auto& p : params_) n += numel_of(p.shape);
    return n;
}

const ParamInfo* ParamStore::find(const std::string& name) const {
    for (const auto& p : params_)
        if (p.name == name) return &p;
    return nullptr;
}

void initialize(const Tensor& t, Init init, float std, Rng& rng) {
    float* v = t.data();
    const int64_t n = t.numel();
    switch (init) {
        case Init::normal:
            for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(rng.normal() * std);
            break;
        case Init::truncated_normal:  // resample outside two standard deviations
            for (int64_t i = 0; i < n; ++i) {
                double z;
                do { z = rng.normal(); } while (std::fabs(z) > 2.0);
                v[i] = static_cast<float>(z * std);
            }
            break;
        case Init::values: throw std::invalid_argument("Init::values needs ParamStore::add_values");
        case Init::zeros: t.fill(0.0f); break;
        case Init::ones: t.fill(1.0f); break;
        case Init::identity: {
            if (t.rank() != 2 || t.dim(0) != t.dim(1))
                throw std::invalid_argument("identity init needs a square matrix, got " + shape_str(t.shape()));
            t.fill(0.0f);
            for (int64_t i = 0; i < t.dim(0); ++i) v[i * t.dim(0) + i] = 1.0f;
            break;
        }
    }
}

double grad_norm(const std::vector<const ParamStore*>& stores) {
    double sum_sq = 0;
    for (const ParamStore* s : stores) sum_sq += kernels::sum_sq(s->grad().numel(), s->grad().data());
    return std::sqrt(sum_sq);
}

float clip_factor(double norm, double max_norm) {
    return max_norm > 0 && norm > max_norm ? static_cast<float>(max_norm / (norm + 1e-6)) : 1.0f;
}

}  // namespace altup
