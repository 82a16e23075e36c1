// LayerNorm or RMSNorm over the last axis, with learned scale (and shift).
#pragma once
#include <string>

#include "core/params.hpp"
#include "layers/model_config.hpp"

namespace altup {

class Norm {
public:
    Norm(ParamStore& store, const std::string& prefix, int64_t width, NormKind kind);
    Var forward(const Var& x) const;
private:
    NormKind kind_;
    Var gamma_, beta_;
};

}  // namespace altup
