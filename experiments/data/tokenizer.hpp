// Tokenizers: SentencePiece (the family T5 uses), trained on the training
// split, or raw bytes (256 symbols, no training).
#pragma once
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "experiments/config/choices.hpp"

namespace altup {

class Tokenizer {
public:
    virtual ~Tokenizer() = default;
    virtual std::vector<int32_t> encode(const std::string& text) const = 0;
    virtual std::string decode(const std::vector<int32_t>& ids) const = 0;
    virtual int vocab_size() const = 0;
    virtual int32_t end_of_document() const = 0;  // separates documents in a token stream
};

// SentencePiece cannot make `requested` pieces from this text: at most
// `limit` (too_large), or it needs at least `limit` (one per distinct character).
struct VocabSizeError : std::runtime_error {
    VocabSizeError(const std::string& what, int requested_, int limit_, bool too_large_)
        : std::runtime_error(what), requested(requested_), limit(limit_), too_large(too_large_) {}
    int requested, limit;
    bool too_large;
};

// Trains a SentencePiece model on `training_text` (one sentence per line) and
// writes it to model_path (data.tokenizer_type: unigram or bpe). Deterministic for a given input.
// SentencePiece's own log (dozens of lines) goes to stderr only when the
// environment sets ALTUP_SENTENCEPIECE_LOG=1; a failure quotes its last lines.
// Throws VocabSizeError when the vocabulary does not fit the text.
void train_sentencepiece(const std::string& training_text_path, const std::string& model_path, int vocab_size,
                         SentencePieceType type);
std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& model_path);
std::unique_ptr<Tokenizer> make_byte_tokenizer();

}  // namespace altup
