#include "experiments/data/tokenizer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <optional>
#include <regex>
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

// SentencePiece's trainer logs to stderr at length: send it to a file instead.
class StderrToFile {
public:
    explicit StderrToFile(const std::string& path) {
        const int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (file < 0) return;
        std::fflush(stderr);
        saved_ = ::dup(STDERR_FILENO);
        ::dup2(file, STDERR_FILENO);
        ::close(file);
    }
    ~StderrToFile() {
        if (saved_ < 0) return;
        std::fflush(stderr);
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
    }
    StderrToFile(const StderrToFile&) = delete;
    StderrToFile& operator=(const StderrToFile&) = delete;

private:
    int saved_ = -1;
};

std::string last_lines(const std::string& path, size_t n) {
    std::ifstream in(path);
    std::deque<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
        if (lines.size() > n) lines.pop_front();
    }
    std::string out;
    for (const auto& l : lines) out += "\n    " + l;
    return out;
}
}  // namespace

void train_sentencepiece(const std::string& text_path, const std::string& model_path, int vocab_size,
                         SentencePieceType type) {
    std::string prefix = model_path;
    if (prefix.size() > 6 && prefix.substr(prefix.size() - 6) == ".model") prefix.resize(prefix.size() - 6);
    // Deterministic: every sentence is used, in file order; no random sampling.
    const std::string args = "--input=" + text_path + " --model_prefix=" + prefix + " --vocab_size=" + std::to_string(vocab_size) +
                             " --model_type=" + std::string(to_string(type)) +
                             " --character_coverage=1.0 --input_sentence_size=0 --shuffle_input_sentence=false"
                             " --num_threads=2 --pad_id=-1 --bos_id=-1 --eos_id=1 --unk_id=0 --max_sentence_length=16384";
    const char* wanted = std::getenv("ALTUP_SENTENCEPIECE_LOG");
    const bool show_log = wanted && std::string(wanted) == "1";
    const std::string log_path = prefix + ".training.log";
    sentencepiece::util::Status status;
    {
        std::optional<StderrToFile> to_file;
        if (!show_log) to_file.emplace(log_path);
        status = sentencepiece::SentencePieceTrainer::Train(args);
    }
    const std::string tail = show_log ? "" : last_lines(log_path, 3);
    std::remove(log_path.c_str());
    if (status.ok()) return;
    const std::string message = status.ToString();
    // SentencePiece says what fits in its own words: "Vocabulary size is too high (8000).
    // Please set it to a value <= 1234." or "Vocabulary size is smaller than required_chars. 50 vs 61."
    std::smatch m;
    if (std::regex_search(message, m, std::regex(R"(too high.*<= *([0-9]+))")))
        throw VocabSizeError(message, vocab_size, std::stoi(m[1]), true);
    if (std::regex_search(message, m, std::regex(R"(smaller than required_chars\. *[0-9]+ vs ([0-9]+))")))
        throw VocabSizeError(message, vocab_size, std::stoi(m[1]), false);
    throw std::runtime_error("SentencePiece training (vocab " + std::to_string(vocab_size) + ", " + to_string(type) + ") failed: " + message +
                             (tail.empty() ? "" : "; its log ended with:" + tail));
}

std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& model_path) {
    return std::make_unique<SentencePieceTokenizer>(model_path);
}

std::unique_ptr<Tokenizer> make_byte_tokenizer() { return std::make_unique<ByteTokenizer>(); }

}  // namespace altup
