#include "layers/embedding.hpp"

#include "core/ops.hpp"

namespace altup {

TokenEmbedding::TokenEmbedding(ParamStore& store, int64_t vocab, int64_t width, int64_t seq_len, int64_t d,
                               float init_std)
    : tok_(store.add("embed.tok", {vocab, width}, Init::normal, init_std, false, ParamStore::Place::aligned,
                     ParamKind::embedding)),
      pos_(store.add("embed.pos", {seq_len, d}, Init::normal, init_std, false, ParamStore::Place::aligned,
                     ParamKind::embedding)) {}

Var TokenEmbedding::tokens(const std::vector<int32_t>& ids) const { return embedding(tok_, ids); }

Var TokenEmbedding::positions(const std::vector<int32_t>& positions) const { return embedding(pos_, positions); }

}  // namespace altup
