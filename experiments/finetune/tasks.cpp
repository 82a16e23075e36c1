#include "experiments/finetune/tasks.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "experiments/data/split.hpp"
#include "util/hash.hpp"

namespace altup {

namespace {
enum Universal { NOUN, VERB, ADJ, ADV, PRON, DET, ADP, NUM, CONJ, PRT, PUNCT, X };

// Brown's base tags (Francis & Kucera) -> universal tags. Choices where the
// two tagsets cut differently: subordinating conjunctions (cs) are ADP as in
// the universal tagset; pre- and post-quantifiers (abn, abx: "all", "both")
// and existential "there" (ex) are DET; qualifiers (ql, abl: "very",
// "quite") and the negator "*" are ADV; interjections and "nil" are X.
const std::map<std::string, Universal>& base_map() {
    static const std::map<std::string, Universal> m = {
        {"nn", NOUN}, {"nns", NOUN}, {"np", NOUN}, {"nps", NOUN}, {"nr", NOUN}, {"nrs", NOUN},
        {"vb", VERB}, {"vbd", VERB}, {"vbg", VERB}, {"vbn", VERB}, {"vbz", VERB},
        {"be", VERB}, {"bed", VERB}, {"bedz", VERB}, {"beg", VERB}, {"bem", VERB}, {"ben", VERB}, {"ber", VERB}, {"bez", VERB},
        {"do", VERB}, {"dod", VERB}, {"doz", VERB},
        {"hv", VERB}, {"hvd", VERB}, {"hvg", VERB}, {"hvn", VERB}, {"hvz", VERB}, {"md", VERB},
        {"jj", ADJ}, {"jjr", ADJ}, {"jjs", ADJ}, {"jjt", ADJ}, {"od", ADJ}, {"ap", ADJ},
        {"rb", ADV}, {"rbr", ADV}, {"rbt", ADV}, {"rn", ADV}, {"ql", ADV}, {"qlp", ADV}, {"wql", ADV}, {"wrb", ADV},
        {"abl", ADV}, {"*", ADV},
        {"pn", PRON}, {"pp$", PRON}, {"pp$$", PRON}, {"ppl", PRON}, {"ppls", PRON}, {"ppo", PRON}, {"pps", PRON},
        {"ppss", PRON}, {"wp$", PRON}, {"wpo", PRON}, {"wps", PRON},
        {"at", DET}, {"dt", DET}, {"dti", DET}, {"dts", DET}, {"dtx", DET}, {"abn", DET}, {"abx", DET}, {"wdt", DET}, {"ex", DET},
        {"in", ADP}, {"cs", ADP},
        {"cd", NUM},
        {"cc", CONJ},
        {"rp", PRT}, {"to", PRT},
        {".", PUNCT}, {",", PUNCT}, {":", PUNCT}, {"(", PUNCT}, {")", PUNCT}, {"--", PUNCT}, {"'", PUNCT}, {"''", PUNCT}, {"``", PUNCT},
        {"uh", X}, {"nil", X}, {"fw", X},
    };
    return m;
}

// Brown's `` and '' are plain quotes in the text the model was trained on.
std::string word_text(const std::string& w) { return (w == "``" || w == "''") ? "\"" : w; }
}  // namespace

const std::vector<std::string>& universal_tags() {
    static const std::vector<std::string> t = {"NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT", ".", "X"};
    return t;
}

std::optional<int> universal_tag(const std::string& brown_tag) {
    std::string t = brown_tag;
    // Foreign words (fw-...) are X whatever their English-like tag says.
    if (t.rfind("fw-", 0) == 0) return X;
    // Title (-tl), headline (-hl) and cited (-nc) markers, and truncated
    // forms of them, follow the base tag after a '-' ("--" itself is a tag).
    if (t.rfind("--", 0) == 0) t = "--";
    else if (const auto dash = t.find('-'); dash != std::string::npos && dash > 0) t = t.substr(0, dash);
    // Contractions ("ppss+md" = "I'll") take the tag of their first part.
    if (const auto plus = t.find('+'); plus != std::string::npos && plus > 0) t = t.substr(0, plus);
    const auto& m = base_map();
    auto look = [&](const std::string& s) -> std::optional<int> {
        auto it = m.find(s);
        return it == m.end() ? std::nullopt : std::optional<int>(it->second);
    };
    if (auto u = look(t)) return u;
    // Negated ("dod*" = "didn't") and possessive ("nn$") forms.
    while (t.size() > 1 && (t.back() == '*' || t.back() == '$')) {
        t.pop_back();
        if (auto u = look(t)) return u;
    }
    return std::nullopt;
}

std::vector<std::string> genre_class_names(FinetuneTask task) {
    if (task == FinetuneTask::genre4) return {"press", "general prose", "learned", "fiction"};
    std::vector<std::string> names;
    for (const auto& [letter, name] : brown_genres()) names.push_back(name);
    return names;
}

int genre_class(char letter, FinetuneTask task) {
    if (task == FinetuneTask::genre4) {
        if (letter >= 'a' && letter <= 'c') return 0;
        if (letter >= 'd' && letter <= 'h') return 1;
        if (letter == 'j') return 2;
        if (letter >= 'k' && letter <= 'r') return 3;
    } else {
        const auto& g = brown_genres();
        for (size_t i = 0; i < g.size(); ++i)
            if (g[i].first == letter) return int(i);
    }
    throw std::runtime_error(std::string("not a Brown genre letter: '") + letter + "'");
}

int task_class_count(FinetuneTask task) {
    switch (task) {
        case FinetuneTask::pos: return int(universal_tags().size());
        case FinetuneTask::genre:
        case FinetuneTask::genre4: return int(genre_class_names(task).size());
        case FinetuneTask::none: break;
    }
    throw std::invalid_argument("task_class_count: finetune.task none has no classes");
}

bool is_tagging_task(FinetuneTask task) { return task == FinetuneTask::pos; }

std::vector<const Document*> unseen_in_pretraining(const std::vector<Document>& docs, bool pretrained_on_brown,
                                                   double data_valid, double data_test) {
    std::vector<const Document*> out;
    if (!pretrained_on_brown) {
        for (const Document& d : docs) out.push_back(&d);
        return out;
    }
    const std::vector<Split> pretrain = split_documents(docs, data_valid, data_test);
    for (size_t i = 0; i < docs.size(); ++i)
        if (pretrain[i] != Split::train) out.push_back(&docs[i]);
    return out;
}

FinetuneSplit finetune_split(const std::vector<const Document*>& unseen, double ft_valid, double ft_test) {
    std::map<char, std::vector<const Document*>> per_genre;
    for (const Document* d : unseen) per_genre[d->genre].push_back(d);
    FinetuneSplit out;
    for (auto& [genre, list] : per_genre) {
        // Salted, so the order is unrelated to the one that chose these documents.
        std::sort(list.begin(), list.end(),
                  [](const Document* a, const Document* b) { return fnv1a64("finetune:" + a->id) < fnv1a64("finetune:" + b->id); });
        const size_t n = list.size();
        size_t n_test = std::max<size_t>(n >= 2 ? 1 : 0, size_t(std::lround(double(n) * ft_test)));
        size_t n_valid = std::max<size_t>(n >= 3 ? 1 : 0, size_t(std::lround(double(n) * ft_valid)));
        // Every genre keeps at least one fine-tuning document when it has two.
        while (n >= 2 && n_test + n_valid >= n) (n_valid > 0 ? n_valid : n_test)--;
        for (size_t k = 0; k < n; ++k)
            (k < n_test ? out.test : k < n_test + n_valid ? out.valid : out.train).push_back(list[k]);
    }
    return out;
}

int64_t TaskExamples::labelled() const {
    return std::count_if(labels.begin(), labels.end(), [](int32_t l) { return l != -100; });
}

TaskExamples build_task_examples(FinetuneTask task, const std::vector<const Document*>& docs, const Tokenizer& tok,
                                 int64_t seq_len) {
    TaskExamples ex;
    ex.seq_len = seq_len;
    const bool bytes = tok.vocab_size() == 256;  // the pretraining stream puts a space after each sentence
    for (const Document* d : docs) {
        std::vector<int32_t> stream, labels;
        std::vector<std::string> words;
        for (const auto& para : d->paragraphs)
            for (const auto& sentence : para) {
                if (!is_tagging_task(task)) {
                    const std::vector<int32_t> ids = tok.encode(sentence_text(sentence) + (bytes ? " " : ""));
                    stream.insert(stream.end(), ids.begin(), ids.end());
                    continue;
                }
                for (size_t w = 0; w < sentence.size(); ++w) {
                    // Words one at a time: SentencePiece never joins pieces across
                    // a space, so this is the sentence's own segmentation.
                    std::string text = word_text(sentence[w].word);
                    if (bytes && w > 0) text = " " + text;
                    const std::vector<int32_t> ids = tok.encode(text);
                    if (ids.empty()) continue;
                    const std::optional<int> tag = universal_tag(sentence[w].tag);
                    if (!tag) throw std::runtime_error(d->id + ": Brown tag '" + sentence[w].tag + "' (word '" + sentence[w].word +
                                                       "') is not in the universal tag map");
                    stream.insert(stream.end(), ids.begin(), ids.end());
                    labels.insert(labels.end(), ids.size() - 1, -100);
                    labels.push_back(*tag);
                    words.push_back(sentence[w].word);
                }
                if (bytes) {
                    stream.push_back(' ');
                    labels.push_back(-100);
                }
            }
        if (is_tagging_task(task)) {
            // Cut into windows; pad the last one (causal: padding after a token never changes it).
            const size_t n = stream.size();
            const size_t padded = (n + size_t(seq_len) - 1) / size_t(seq_len) * size_t(seq_len);
            stream.resize(padded, tok.end_of_document());
            labels.resize(padded, -100);
            for (size_t start = 0; start < padded; start += size_t(seq_len)) {
                const auto first = labels.begin() + long(start), last = first + seq_len;
                if (std::all_of(first, last, [](int32_t l) { return l == -100; })) continue;  // nothing to learn or score
                ex.ids.insert(ex.ids.end(), stream.begin() + long(start), stream.begin() + long(start) + seq_len);
                ex.labels.insert(ex.labels.end(), first, last);
            }
            ex.words.insert(ex.words.end(), words.begin(), words.end());
        } else {
            const int cls = genre_class(d->genre, task);
            for (size_t start = 0; start + size_t(seq_len) <= stream.size(); start += size_t(seq_len)) {
                ex.ids.insert(ex.ids.end(), stream.begin() + long(start), stream.begin() + long(start + size_t(seq_len)));
                ex.labels.push_back(cls);
            }
        }
    }
    return ex;
}

}  // namespace altup
