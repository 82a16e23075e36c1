#include "layers/norm.hpp"

#include "core/ops.hpp"

namespace altup {

Norm::Norm(ParamStore& store, const std::string& prefix, int64_t width, NormKind kind) : kind_(kind) {
    gamma_ = store.add(prefix + ".weight", {width}, Init::ones, 0, /*decay=*/false);
    if (kind == NormKind::layernorm) beta_ = store.add(prefix + ".bias", {width}, Init::zeros, 0, false);
}

Var Norm::forward(const Var& x) const {
    return kind_ == NormKind::layernorm ? layernorm(x, gamma_, beta_) : rmsnorm(x, gamma_);
}

}  // namespace altup
