// Turning marked-up text into prose paragraphs, deterministically: each
// markup (reStructuredText and plain kernel text, Perl POD, HTML, OSIS) loses
// its markup and everything that is not running text (code, tables, headings,
// notes), then one rule for all decides which paragraphs are prose.
// docs/data.md states the rules; tests/experiments/data/test_prose_corpus.cpp
// checks each on small hand-written inputs.
#pragma once
#include <string>
#include <vector>

namespace altup {

// Candidate paragraphs, markup removed, whitespace collapsed to single spaces.
std::vector<std::string> rst_paragraphs(const std::string& text);
std::vector<std::string> pod_paragraphs(const std::string& text);
std::vector<std::string> html_paragraphs(const std::string& text);
std::vector<std::string> osis_paragraphs(const std::string& text);

// A word of running text: letters (any non-ASCII byte counts as one), inner
// apostrophes and hyphens, with punctuation only around it ("(said," yes;
// "foo_bar()", "1:1", "--help" no).
bool is_plain_word(const std::string& token);
// The rule every source's paragraphs pass: at least kMinProseWords words, at
// least 80% of them plain words, at least 10% English function words (the,
// of, and, to, ...: other languages and lists of names have almost none),
// none of the characters { } < > = \ | that mark code or tables, starting with a letter, digit or opening quote and
// ending like a sentence (. ! ? : or a closing quote or bracket after one).
inline constexpr int kMinProseWords = 8;
bool is_prose_paragraph(const std::string& paragraph);

// Sentences of a paragraph: a break after . ! or ? (and any closing quotes
// or brackets) that a space and an upper-case letter, digit or opening quote
// follow, except after a few abbreviations (Mr. Dr. e.g. i.e. St. ...) and
// single-letter initials.
std::vector<std::string> split_sentences(const std::string& paragraph);

// HTML character references (&amp; &lt; &#8217; &#x2019; ...) decoded to UTF-8.
std::string decode_entities(const std::string& text);

}  // namespace altup
