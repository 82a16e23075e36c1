#include "experiments/data/tokenizer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <stdexcept>

namespace altup {

namespace {
class SentencePieceTokenizer : public Tokenizer {
public:
    explicit SentencePieceTokenizer(const std::string& path) {
        const auto status = sp_.Load(path);
        if (!status.ok()) throw std::runtime_error(path + ": cannot load SentencePiece model: " + status.ToString());
    }
    std::vector<int32_t> encode(const std::string& text) const override {
        std::vector<int> ids;
        sp_.Encode(text, &ids);
        return {ids.begin(), ids.end()};
    }
    std::string decode(const std::vector<int32_t>& ids) const override {
        std::string out;
        sp_.Decode(std::vector<int>(ids.begin(), ids.end()), &out);
        return out;
    }
    int vocab_size() const override { return sp_.GetPieceSize(); }
    int32_t end_of_document() const override { return sp_.eos_id(); }

private:
    sentencepiece::SentencePieceProcessor sp_;
};

// Bytes 0..255; byte 0 (never in text) marks the end of a document.
class ByteTokenizer : public Tokenizer {
public:
    std::vector<int32_t> encode(const std::string& text) const override {
        std::vector<int32_t> ids;
        ids.reserve(text.size());
        for (unsigned char c : text) ids.push_back(c);
        return ids;
    }
    std::string decode(const std::vector<int32_t>& ids) const override {
        std::string out;
        for (int32_t id : ids)
            if (id > 0 && id < 256) out.push_back(static_cast<char>(id));
        return out;
    }
    int vocab_size() const override { return 256; }
    int32_t end_of_document() const override { return 0; }
};

// SentencePiece's trainer logs to stderr at length; silence it when asked.
class StderrSilencer {
public:
    explicit StderrSilencer(bool on) {
        if (!on) return;
        saved_ = ::dup(STDERR_FILENO);
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, STDERR_FILENO);
        ::close(null);
    }
    ~StderrSilencer() {
        if (saved_ < 0) return;
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
    }
private:
    int saved_ = -1;
};
}  // namespace

void train_sentencepiece(const std::string& text_path, const std::string& model_path, int vocab_size,
                         const std::string& type, bool quiet) {
    std::string prefix = model_path;
    if (prefix.size() > 6 && prefix.substr(prefix.size() - 6) == ".model") prefix.resize(prefix.size() - 6);
    // Deterministic: every sentence is used, in file order; no random sampling.
    const std::string args = "--input=" + text_path + " --model_prefix=" + prefix + " --vocab_size=" + std::to_string(vocab_size) +
                             " --model_type=" + type +
                             " --character_coverage=1.0 --input_sentence_size=0 --shuffle_input_sentence=false"
                             " --num_threads=2 --pad_id=-1 --bos_id=-1 --eos_id=1 --unk_id=0 --max_sentence_length=16384";
    sentencepiece::util::Status status;
    {
        StderrSilencer silence(quiet);
        status = sentencepiece::SentencePieceTrainer::Train(args);
    }
    if (!status.ok())
        throw std::runtime_error("SentencePiece training (vocab " + std::to_string(vocab_size) + ", " + type + ") failed: " +
                                 status.ToString());
}

std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& model_path) {
    return std::make_unique<SentencePieceTokenizer>(model_path);
}

std::unique_ptr<Tokenizer> make_byte_tokenizer() { return std::make_unique<ByteTokenizer>(); }

}  // namespace altup
