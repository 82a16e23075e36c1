// make_variant (layers/variant.hpp): the one switch from a VariantKind to its file.
#include <stdexcept>

#include "layers/variant.hpp"
#include "layers/variants/variants.hpp"

namespace altup {

std::unique_ptr<ModelVariant> make_variant(VariantKind kind, ParamStore& store, const VariantShape& shape,
                                      const AltUpConfig& altup) {
    switch (kind) {
        case VariantKind::dense: return make_dense_variant(store, shape);
        case VariantKind::altup: return make_altup_variant(store, shape, altup);
        case VariantKind::recycled_altup: return make_recycled_altup_variant(store, shape, altup);
        case VariantKind::gemma3n_altup: return make_gemma3n_altup_variant(store, shape);
    }
    throw std::logic_error("make_variant: unknown VariantKind");
}

}  // namespace altup
