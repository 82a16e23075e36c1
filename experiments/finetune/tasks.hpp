// The downstream tasks the Brown corpus carries (docs/finetune.md): part-of-
// speech tagging over the 12 universal tags, and genre classification (15
// genres or 4 coarse groups), built from documents pretraining never trained on.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "experiments/config/choices.hpp"
#include "experiments/data/corpus.hpp"
#include "experiments/data/tokenizer.hpp"

namespace altup {

// The 12 universal part-of-speech tags (Petrov, Das & McDonald, 2012), in
// class-index order.
const std::vector<std::string>& universal_tags();
// A Brown tag ("nn-tl", "ppss+md", "fw-at", "dod*", ...) -> its universal tag's
// index, or nullopt for a tag the map does not know. docs/finetune.md has the map.
std::optional<int> universal_tag(const std::string& brown_tag);

// Class names and the class of a Brown genre letter: "genre" has the 15
// genres, "genre4" the coarse groups press / general prose / learned / fiction.
std::vector<std::string> genre_class_names(FinetuneTask task);
int genre_class(char genre_letter, FinetuneTask task);

// The Brown documents a pretraining run never trained on: when it read Brown,
// its validation and test documents (by its data.split.valid/test); when it
// read another corpus, every document.
std::vector<const Document*> unseen_in_pretraining(const std::vector<Document>& docs, bool pretrained_on_brown,
                                                   double data_valid, double data_test);

// Fine-tuning splits of those documents, by document, stratified over genres
// and deterministic (ordered by a salted hash of the id, unrelated to the
// pretraining split's order).
struct FinetuneSplit {
    std::vector<const Document*> train, valid, test;
};
FinetuneSplit finetune_split(const std::vector<const Document*>& unseen, double ft_valid, double ft_test);

// Fixed-length examples for one split. Tagging: windows of seq_len tokens cut
// from each document's token stream (its words encoded one by one, as the
// pretraining stream does), labelled at the last token of each word (the first
// position a causal model has seen the whole word at), -100 elsewhere; the last
// window of a document is padded. Genre: each full window of a document's
// stream is a passage labelled with the document's class.
struct TaskExamples {
    int64_t seq_len = 0;
    std::vector<int32_t> ids;        // count() * seq_len
    std::vector<int32_t> labels;     // tagging: count() * seq_len (-100 = none); genre: count()
    std::vector<std::string> words;  // tagging: the word of every label, in order (for the per-word baseline)
    int64_t count() const { return seq_len ? int64_t(ids.size()) / seq_len : 0; }
    int64_t labelled() const;        // labels that are not -100
};
TaskExamples build_task_examples(FinetuneTask task, const std::vector<const Document*>& docs, const Tokenizer& tok,
                                 int64_t seq_len);

int task_class_count(FinetuneTask task);
bool is_tagging_task(FinetuneTask task);

}  // namespace altup
