// The token and position tables every variant's stem starts from: a token
// table of `width` (d, or K*d when each block has its own embedding) and one
// d-wide position table.
#pragma once
#include <cstdint>
#include <vector>

#include "core/params.hpp"

namespace altup {

class TokenEmbedding {
public:
    TokenEmbedding(ParamStore& store, int64_t vocab, int64_t width, int64_t seq_len, int64_t d, float init_std);
    Var tokens(const std::vector<int32_t>& ids) const;           // [N, width]
    Var positions(const std::vector<int32_t>& positions) const;  // [N, d]
private:
    Var tok_, pos_;
};

}  // namespace altup
