#include "experiments/config/choices.hpp"

namespace altup {

const char* to_string(CorpusKind v) {
    switch (v) {
        case CorpusKind::brown: return "brown";
        case CorpusKind::prose: return "prose";
        case CorpusKind::text: return "text";
        case CorpusKind::tokens: return "tokens";
    }
    return "?";
}
const char* to_string(TokenDtype v) { return v == TokenDtype::uint16 ? "uint16" : "uint32"; }
const char* to_string(TokenizerKind v) { return v == TokenizerKind::sentencepiece ? "sentencepiece" : "bytes"; }
const char* to_string(SentencePieceType v) { return v == SentencePieceType::unigram ? "unigram" : "bpe"; }
const char* to_string(CheckpointKeep v) {
    switch (v) {
        case CheckpointKeep::final: return "final";
        case CheckpointKeep::all: return "all";
        case CheckpointKeep::none: return "none";
    }
    return "?";
}
const char* to_string(FinetuneTask v) {
    switch (v) {
        case FinetuneTask::none: return "none";
        case FinetuneTask::pos: return "pos";
        case FinetuneTask::genre: return "genre";
        case FinetuneTask::genre4: return "genre4";
    }
    return "?";
}
const char* to_string(FinetuneTrain v) { return v == FinetuneTrain::all ? "all" : "head"; }
const char* to_string(Pooling v) { return v == Pooling::mean ? "mean" : "last"; }

}  // namespace altup
