// The fixed choices of a trial config's data, checkpoint and fine-tuning keys,
// as enums so that no code compares their spelling (the engine's own, dtype,
// optimizer and schedule, are in core/choices.hpp; the model's in
// layers/model_config.hpp). to_string gives each one's word in the config.
#pragma once

namespace altup {

enum class CorpusKind { brown, prose, text, tokens };    // data.corpus
enum class TokenDtype { uint16, uint32 };                 // data.token_dtype
enum class TokenizerKind { sentencepiece, bytes };        // data.tokenizer
enum class SentencePieceType { unigram, bpe };            // data.tokenizer_type
enum class CheckpointKeep { final, all, none };           // train.checkpoint
enum class FinetuneTask { none, pos, genre, genre4 };     // finetune.task
enum class FinetuneTrain { all, head };                   // finetune.train
enum class Pooling { mean, last };                        // finetune.pooling

const char* to_string(CorpusKind v);
const char* to_string(TokenDtype v);
const char* to_string(TokenizerKind v);
const char* to_string(SentencePieceType v);
const char* to_string(CheckpointKeep v);
const char* to_string(FinetuneTask v);
const char* to_string(FinetuneTrain v);
const char* to_string(Pooling v);

}  // namespace altup
