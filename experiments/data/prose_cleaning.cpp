#include "experiments/data/prose_cleaning.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <sstream>

namespace altup {

namespace {

bool is_blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }
bool is_indented(const std::string& line) { return !line.empty() && (line[0] == ' ' || line[0] == '\t'); }

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        out.push_back(line);
    }
    return out;
}

// Runs of whitespace as one space, none at the ends.
std::string collapse_spaces(const std::string& s) {
    std::string out;
    bool space = false;
    for (unsigned char c : s) {
        if (std::isspace(c)) {
            space = !out.empty();
        } else {
            if (space) out += ' ';
            space = false;
            out += char(c);
        }
    }
    return out;
}

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

// A line of one repeated punctuation character (a reST heading's under- or overline, a rule).
bool is_rule_line(const std::string& line) {
    const std::string t = collapse_spaces(line);
    if (t.size() < 3) return false;
    const char c = t[0];
    if (!std::ispunct(static_cast<unsigned char>(c))) return false;
    return std::all_of(t.begin(), t.end(), [c](char x) { return x == c; });
}

// Blocks of consecutive non-blank lines.
std::vector<std::vector<std::string>> blocks_of(const std::vector<std::string>& lines) {
    std::vector<std::vector<std::string>> blocks;
    std::vector<std::string> cur;
    for (const auto& l : lines) {
        if (is_blank(l)) {
            if (!cur.empty()) blocks.push_back(std::move(cur));
            cur.clear();
        } else {
            cur.push_back(l);
        }
    }
    if (!cur.empty()) blocks.push_back(std::move(cur));
    return blocks;
}

// "- item", "* item", "#. item", "3. item", "(a) item" -> "item".
std::string strip_list_marker(const std::string& s) {
    size_t i = 0;
    if (s.size() > 2 && (s[0] == '-' || s[0] == '*' || s[0] == '+') && s[1] == ' ') return s.substr(2);
    if (s.rfind("#. ", 0) == 0) return s.substr(3);
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i > 0 && i + 1 < s.size() && (s[i] == '.' || s[i] == ')') && s[i + 1] == ' ') return s.substr(i + 2);
    if (s.size() > 4 && s[0] == '(' && std::isalnum(static_cast<unsigned char>(s[1])) && s[2] == ')' && s[3] == ' ') return s.substr(4);
    return s;
}

// reST inline markup to its text: :role:`text <target>` and `text <url>`_ keep
// "text", ``literal`` and *emphasis* keep their content, footnote and
// substitution references go.
std::string rst_inline(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        if (s[i] == ':' && i + 1 < s.size() && std::isalpha(static_cast<unsigned char>(s[i + 1]))) {
            // a role: ":name:`" (name of letters, digits, '-', ':', '.')
            size_t j = i + 1;
            while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '-' || s[j] == ':' || s[j] == '.')) ++j;
            if (j < s.size() && s[j] == '`' && s[j - 1] == ':') {
                i = j;
                continue;
            }
        }
        if (s[i] == '`') {
            const bool literal = s.compare(i, 2, "``") == 0;
            const size_t open = literal ? 2 : 1;
            const size_t close = s.find(literal ? "``" : "`", i + open);
            if (close == std::string::npos) {
                out += s.substr(i + open);
                break;
            }
            std::string inner = s.substr(i + open, close - i - open);
            if (!literal) {
                if (const size_t lt = inner.rfind(" <"); lt != std::string::npos && inner.back() == '>') inner.resize(lt);
                if (!inner.empty() && inner[0] == '~') inner.erase(0, 1);
            }
            out += inner;
            i = close + open;
            while (i < s.size() && s[i] == '_') ++i;  // `link`_ and `anonymous`__
            continue;
        }
        if (s[i] == '[' ) {  // footnote and citation references: [1]_ [#]_ [#name]_
            const size_t close = s.find("]_", i);
            if (close != std::string::npos && close - i < 20 && s.substr(i + 1, close - i - 1).find(' ') == std::string::npos) {
                i = close + 2;
                continue;
            }
        }
        if (s[i] == '*') {  // *emphasis* and **strong**: drop the stars
            ++i;
            continue;
        }
        out += s[i++];
    }
    return out;
}

}  // namespace

std::vector<std::string> rst_paragraphs(const std::string& text) {
    std::vector<std::string> out;
    const auto blocks = blocks_of(lines_of(text));
    bool in_directive = false;  // inside ".. name::" and its indented body
    for (const auto& b : blocks) {
        if (is_indented(b[0])) continue;  // literal blocks, directive bodies, block quotes, definitions
        in_directive = false;
        std::string para;
        for (const auto& l : b) {
            if (l.rfind("..", 0) == 0) in_directive = true;  // directives, comments, targets, substitutions
            if (in_directive) continue;
            if (is_rule_line(l)) continue;
            para += (para.empty() ? "" : " ") + (para.empty() ? strip_list_marker(collapse_spaces(l)) : collapse_spaces(l));
        }
        // A heading: one line between or over rules (dropped: not running text).
        if (b.size() >= 2 && (is_rule_line(b.back()) || is_rule_line(b[0])) && b.size() <= 3) continue;
        para = collapse_spaces(rst_inline(para));
        if (para.size() >= 2 && para.compare(para.size() - 2, 2, "::") == 0) para.pop_back();  // "as follows::" -> "as follows:"
        if (!para.empty()) out.push_back(para);
    }
    return out;
}

namespace {
// POD formatting codes to their text: B<x> I<x> C<x> F<x> S<x> keep x,
// L<text|target> keeps text (L<name> keeps name), E<lt> E<gt> E<...> are the
// characters, X<> and Z<> go. C<< x >> with more brackets and spaces is handled.
std::string pod_inline(const std::string& s, size_t& i, const std::string& until) {
    std::string out;
    while (i < s.size()) {
        if (!until.empty() && s.compare(i, until.size(), until) == 0) {
            i += until.size();
            return out;
        }
        const char c = s[i];
        if (std::strchr("BCEFILSXZ", c) && i + 1 < s.size() && s[i + 1] == '<') {
            size_t n = 0;
            while (i + 1 + n < s.size() && s[i + 1 + n] == '<') ++n;
            i += 1 + n;
            std::string close(n, '>');
            if (n > 1) {
                while (i < s.size() && s[i] == ' ') ++i;
                close = " " + close;
            }
            std::string inner = pod_inline(s, i, close);
            if (n > 1) inner = collapse_spaces(inner);
            if (c == 'X' || c == 'Z') continue;
            if (c == 'E') {
                if (inner == "lt") out += '<';
                else if (inner == "gt") out += '>';
                else if (inner == "verbar") out += '|';
                else if (inner == "sol") out += '/';
                else if (!inner.empty() && std::isdigit(static_cast<unsigned char>(inner[0]))) append_utf8(out, uint32_t(std::stoul(inner)));
                else out += decode_entities("&" + inner + ";");
                continue;
            }
            if (c == 'L') {
                if (const size_t bar = inner.find('|'); bar != std::string::npos) inner.resize(bar);
                if (inner.size() > 1 && inner[0] == '"' && inner.back() == '"') inner = inner.substr(1, inner.size() - 2);
                if (const size_t slash = inner.find('/'); slash == 0) inner = inner.substr(1);
            }
            out += inner;
            continue;
        }
        out += s[i++];
    }
    return out;
}
}  // namespace

std::vector<std::string> pod_paragraphs(const std::string& text) {
    std::vector<std::string> out;
    bool in_begin = false;  // =begin ... =end: for other formatters
    for (const auto& b : blocks_of(lines_of(text))) {
        if (b[0].rfind("=begin", 0) == 0) in_begin = true;
        if (in_begin) {
            for (const auto& l : b)
                if (l.rfind("=end", 0) == 0) in_begin = false;
            continue;
        }
        if (b[0][0] == '=' || is_indented(b[0])) continue;  // commands (headings, items) and verbatim code
        std::string para;
        for (const auto& l : b) para += (para.empty() ? "" : " ") + l;
        size_t i = 0;
        para = collapse_spaces(pod_inline(collapse_spaces(para), i, ""));
        if (!para.empty()) out.push_back(para);
    }
    return out;
}

std::string decode_entities(const std::string& s) {
    static const std::pair<const char*, uint32_t> named[] = {
        {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", ' '}, {"mdash", 0x2014}, {"ndash", 0x2013},
        {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"hellip", 0x2026}, {"copy", 0xA9}};
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '&') {
            const size_t semi = s.find(';', i);
            if (semi != std::string::npos && semi - i <= 10) {
                const std::string name = s.substr(i + 1, semi - i - 1);
                bool done = false;
                if (name.size() > 1 && name[0] == '#') {
                    const bool hex = name[1] == 'x' || name[1] == 'X';
                    const std::string digits = name.substr(hex ? 2 : 1);
                    if (!digits.empty() && digits.find_first_not_of(hex ? "0123456789abcdefABCDEF" : "0123456789") == std::string::npos) {
                        append_utf8(out, uint32_t(std::stoul(digits, nullptr, hex ? 16 : 10)));
                        done = true;
                    }
                } else {
                    for (const auto& [n, cp] : named)
                        if (name == n) {
                            append_utf8(out, cp);
                            done = true;
                        }
                }
                if (done) {
                    i = semi;
                    continue;
                }
            }
        }
        out += s[i];
    }
    return out;
}

namespace {
// Markup to paragraphs: elements whose whole content goes (code, tables,
// notes, headings), tags that end a paragraph, all other tags removed.
std::vector<std::string> markup_paragraphs(const std::string& text, const std::vector<std::string>& drop_elements,
                                           const std::vector<std::string>& breaking, bool break_on_xp) {
    std::string flat;
    std::vector<std::string> out;
    auto lower_name = [](const std::string& tag) {  // "</Foo bar>" -> "foo"
        size_t k = tag[1] == '/' ? 2 : 1;
        std::string n;
        while (k < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[k])))) n += char(std::tolower(static_cast<unsigned char>(tag[k++])));
        return n;
    };
    for (size_t i = 0; i < text.size();) {
        if (text[i] != '<') {
            flat += text[i++];
            continue;
        }
        if (text.compare(i, 4, "<!--") == 0) {
            const size_t end = text.find("-->", i);
            i = end == std::string::npos ? text.size() : end + 3;
            continue;
        }
        const size_t close = text.find('>', i);
        if (close == std::string::npos) break;
        const std::string tag = text.substr(i, close - i + 1);
        i = close + 1;
        const std::string name = lower_name(tag);
        const bool end_tag = tag[1] == '/';
        const bool self_closing = tag.size() >= 2 && tag[tag.size() - 2] == '/';
        if (!end_tag && !self_closing && std::find(drop_elements.begin(), drop_elements.end(), name) != drop_elements.end()) {
            // Skip to the matching end tag, counting nested ones of the same name.
            int depth = 1;
            while (depth > 0 && i < text.size()) {
                const size_t lt = text.find('<', i);
                if (lt == std::string::npos) {
                    i = text.size();
                    break;
                }
                const size_t gt = text.find('>', lt);
                if (gt == std::string::npos) {
                    i = text.size();
                    break;
                }
                const std::string t = text.substr(lt, gt - lt + 1);
                if (lower_name(t) == name && t.size() > 2 && t[t.size() - 2] != '/') depth += t[1] == '/' ? -1 : 1;
                i = gt + 1;
            }
            // Notes and inline code vanish from their sentence; a dropped block (pre, table) ends the paragraph.
            static const char* inline_elements[] = {"note", "code", "kbd", "samp", "var", "tt"};
            if (std::none_of(std::begin(inline_elements), std::end(inline_elements), [&](const char* e) { return name == e; }))
                flat += "\n\n";
            continue;
        }
        if (std::find(breaking.begin(), breaking.end(), name) != breaking.end() ||
            (break_on_xp && name == "div" && tag.find("type=\"x-p\"") != std::string::npos))
            flat += "\n\n";
        // Inline tags add no space: "<w>a</w> <w>b</w>" keeps its own, "“<w>Speak</w>" stays one word.
    }
    // Blank-line separated paragraphs.
    std::string cur;
    std::istringstream in(flat);
    std::string line;
    auto flush = [&]() {
        const std::string p = collapse_spaces(decode_entities(cur));
        if (!p.empty()) out.push_back(p);
        cur.clear();
    };
    while (std::getline(in, line)) {
        if (is_blank(line)) flush();
        else cur += " " + line;
    }
    flush();
    return out;
}
}  // namespace

std::vector<std::string> html_paragraphs(const std::string& text) {
    static const std::vector<std::string> drop = {"head", "script", "style", "pre", "table", "h1", "h2", "h3", "h4", "h5", "h6",
                                                  "code", "kbd", "samp", "var", "tt"};
    static const std::vector<std::string> breaking = {"p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "section",
                                                      "tr", "td", "th", "body", "hr", "title", "figure", "caption"};
    return markup_paragraphs(text, drop, breaking, false);
}

std::vector<std::string> osis_paragraphs(const std::string& text) {
    static const std::vector<std::string> drop = {"note", "title", "table", "head", "speaker"};
    static const std::vector<std::string> breaking = {"p", "lb", "lg", "item", "list", "chapter"};
    return markup_paragraphs(text, drop, breaking, true);
}

namespace {
bool is_punct_around(unsigned char c) { return std::strchr("\"'([{.,;:!?)]}", c) != nullptr && c != 0; }
// The UTF-8 quotes and dashes that prose wraps words in: ‘ ’ “ ” — –
size_t utf8_punct_len(const std::string& s, size_t i) {
    static const char* marks[] = {"\xE2\x80\x98", "\xE2\x80\x99", "\xE2\x80\x9C", "\xE2\x80\x9D", "\xE2\x80\x94", "\xE2\x80\x93"};
    for (const char* m : marks)
        if (s.compare(i, 3, m) == 0) return 3;
    return 0;
}
}  // namespace

bool is_plain_word(const std::string& token) {
    size_t b = 0, e = token.size();
    while (b < e) {
        if (is_punct_around(static_cast<unsigned char>(token[b]))) ++b;
        else if (size_t n = utf8_punct_len(token, b)) b += n;
        else break;
    }
    while (e > b) {
        if (is_punct_around(static_cast<unsigned char>(token[e - 1]))) --e;
        else if (e >= b + 3 && utf8_punct_len(token, e - 3)) e -= 3;
        else break;
    }
    if (b == e) return false;
    bool letter = false;
    for (size_t i = b; i < e; ++i) {
        const unsigned char c = static_cast<unsigned char>(token[i]);
        if (std::isalpha(c) || c >= 0x80) {
            letter = true;
        } else if ((c == '\'' || c == '-') && i > b && i + 1 < e) {
            continue;
        } else {
            return false;
        }
    }
    return letter;
}

namespace {
// English function words: running English text has about one in three of its
// words among them, other languages, identifiers and lists of names almost none.
bool is_english_function_word(std::string w) {
    static const char* words[] = {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "he", "his", "i", "if", "in",
                                  "is", "it", "not", "of", "on", "or", "that", "the", "this", "to", "was", "which", "with", "you"};
    while (!w.empty() && !std::isalpha(static_cast<unsigned char>(w.back()))) w.pop_back();
    while (!w.empty() && !std::isalpha(static_cast<unsigned char>(w.front()))) w.erase(0, 1);
    for (auto& c : w) c = char(std::tolower(static_cast<unsigned char>(c)));
    return std::any_of(std::begin(words), std::end(words), [&](const char* f) { return w == f; });
}
}  // namespace

bool is_prose_paragraph(const std::string& p) {
    if (p.find_first_of("{}<>=\\|") != std::string::npos) return false;
    std::istringstream in(p);
    std::string w;
    int words = 0, plain = 0, function_words = 0;
    while (in >> w) {
        ++words;
        plain += is_plain_word(w) ? 1 : 0;
        function_words += is_english_function_word(w) ? 1 : 0;
    }
    if (words < kMinProseWords || plain * 5 < words * 4) return false;
    if (function_words * 10 < words) return false;  // under 10%: not English prose
    const unsigned char first = static_cast<unsigned char>(p[0]);
    if (!(std::isalnum(first) || first == '"' || first == '\'' || first == '(' || utf8_punct_len(p, 0))) return false;
    // The end: sentence punctuation, possibly inside closing quotes or brackets.
    size_t e = p.size();
    while (e > 0) {
        if (std::strchr("\"')]", p[e - 1])) --e;
        else if (e >= 3 && utf8_punct_len(p, e - 3)) e -= 3;
        else break;
    }
    return e > 0 && std::strchr(".!?:", p[e - 1]);
}

std::vector<std::string> split_sentences(const std::string& p) {
    static const char* abbreviations[] = {"Mr", "Mrs", "Ms", "Dr", "St", "Sr", "Jr", "vs", "etc", "e.g", "i.e", "cf", "Fig", "No", "Vol", "ch", "ver", "viz"};
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t i = 0; i < p.size(); ++i) {
        if (!std::strchr(".!?", p[i])) continue;
        size_t j = i + 1;  // past closing quotes and brackets
        while (j < p.size()) {
            if (std::strchr("\"')]", p[j])) ++j;
            else if (size_t n = utf8_punct_len(p, j); n && (p.compare(j, 3, "\xE2\x80\x99") == 0 || p.compare(j, 3, "\xE2\x80\x9D") == 0)) j += n;
            else break;
        }
        if (j >= p.size() || p[j] != ' ' || j + 1 >= p.size()) continue;
        const unsigned char next = static_cast<unsigned char>(p[j + 1]);
        if (!(std::isupper(next) || std::isdigit(next) || next == '"' || next == '(' || utf8_punct_len(p, j + 1))) continue;
        if (p[i] == '.') {
            size_t w = i;  // the word before the period
            while (w > start && p[w - 1] != ' ') --w;
            const std::string word = p.substr(w, i - w);
            if (word.size() == 1 && std::isupper(static_cast<unsigned char>(word[0]))) continue;  // an initial: "J. Smith"
            if (std::any_of(std::begin(abbreviations), std::end(abbreviations), [&](const char* a) { return word == a; })) continue;
        }
        out.push_back(p.substr(start, j - start));
        start = j + 1;
    }
    if (start < p.size()) out.push_back(p.substr(start));
    return out;
}

}  // namespace altup
