// One factory per variant, each in its own file here; make_variant
// (make_variant.cpp) picks one.
#pragma once
#include <memory>

#include "layers/variant.hpp"

namespace altup {

std::unique_ptr<ModelVariant> make_dense_variant(ParamStore& store, const VariantShape& shape);
std::unique_ptr<ModelVariant> make_altup_variant(ParamStore& store, const VariantShape& shape, const AltUpConfig& cfg);
std::unique_ptr<ModelVariant> make_recycled_altup_variant(ParamStore& store, const VariantShape& shape,
                                                     const AltUpConfig& cfg);
std::unique_ptr<ModelVariant> make_gemma3n_altup_variant(ParamStore& store, const VariantShape& shape);

}  // namespace altup
