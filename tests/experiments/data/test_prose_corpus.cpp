// The prose corpus on small hand-written fixtures: each cleaning rule, the
// SWORD block reader, the document split, and the pinned-package check
// (a .deb whose checksum differs is refused and never unpacked).
#include <catch2/catch.hpp>

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>

#include "experiments/data/debian_package.hpp"
#include "experiments/data/prose_cleaning.hpp"
#include "experiments/data/prose_corpus.hpp"
#include "experiments/data/split.hpp"
#include "experiments/data/sword_module.hpp"
#include "util/shell.hpp"

using namespace altup;
namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

namespace {
struct Scratch {
    fs::path root = fs::temp_directory_path() / ("altup-prose-" + std::to_string(::getpid()));
    Scratch() { fs::create_directories(root); }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
};
void write_text(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}
std::string sha256_of(const fs::path& p) { return run_command("sha256sum " + shell_quote(p.string())).output.substr(0, 64); }
}  // namespace

TEST_CASE("reST: headings, directives, literal blocks and comments go - inline markup keeps its text", "[data][prose]") {
    const std::string rst =
        "=====\nTitle\n=====\n\n"
        "Section\n-------\n\n"
        "The kernel uses :ref:`memory barriers <barriers>` and ``READ_ONCE`` when *needed*, see [1]_ as follows::\n\n"
        "    int x = 1;\n    return x;\n\n"
        ".. note::\n   Indented note body that is dropped.\n\n"
        ".. a comment line\n\n"
        "- A list item that is a whole\n  sentence across two lines.\n\n"
        "   An indented block quote.\n";
    CHECK(rst_paragraphs(rst) == Strings{"The kernel uses memory barriers and READ_ONCE when needed, see as follows:",
                                         "A list item that is a whole sentence across two lines."});
}

TEST_CASE("POD: commands and verbatim blocks go - formatting codes keep their text", "[data][prose]") {
    const std::string pod =
        "=head1 NAME\n\nperlfoo - a test\n\n"
        "=begin html\n\n<p>raw</p>\n\n=end html\n\n"
        "Use B<bold> and C<< $x->y >> with L<the manual|perlfunc> for E<lt>thisE<gt>.\n\n"
        "    my $code = 1;\n\n=cut\n";
    CHECK(pod_paragraphs(pod) == Strings{"perlfoo - a test", "Use bold and $x->y with the manual for <this>."});
}

TEST_CASE("HTML: code, tables and headings go with their contents - block tags end paragraphs - entities decoded", "[data][prose]") {
    const std::string html =
        "<html><head><title>T</title></head><body><h2>Heading</h2>"
        "<p>First <a href=\"x\">linked</a> paragraph &amp; more&#8217;s.</p>"
        "<pre>SELECT 1;</pre><table><tr><td>cell</td></tr></table>"
        "<p>Second with <code>code()</code> gone.</p></body></html>";
    CHECK(html_paragraphs(html) == Strings{"First linked paragraph & more\xE2\x80\x99s.", "Second with gone."});
}

TEST_CASE("OSIS: notes and titles go - x-p divisions end paragraphs - word tags keep their words", "[data][prose]") {
    const std::string osis =
        "<title type=\"x-s\">Psalm 2 OVERVIEW</title> <div sID=\"g1\" type=\"x-p\"/>"
        "<w lemma=\"strong:H1\">Yahweh</w><note placement=\"foot\">1:1 a footnote</note> "
        "<w>called</w> \xE2\x80\x9C<w>Speak</w>.\xE2\x80\x9D <div type=\"x-milestone\" subType=\"x-preverse\" sID=\"pv2\"/>"
        "<div eID=\"g1\" type=\"x-p\"/><div sID=\"g2\" type=\"x-p\"/>Second paragraph.";
    CHECK(osis_paragraphs(osis) == Strings{"Yahweh called \xE2\x80\x9CSpeak.\xE2\x80\x9D", "Second paragraph."});
}

TEST_CASE("the prose rule keeps running text and refuses code, tables, lists of names and fragments", "[data][prose]") {
    CHECK(is_plain_word("(said,"));
    CHECK(is_plain_word("don't"));
    CHECK(is_plain_word("\xE2\x80\x9CSpeak.\xE2\x80\x9D"));
    CHECK_FALSE(is_plain_word("foo_bar()"));
    CHECK_FALSE(is_plain_word("1:1"));
    CHECK_FALSE(is_plain_word("--help"));
    CHECK(is_prose_paragraph("The scheduler picks the next task to run when the current one blocks."));
    CHECK(is_prose_paragraph("\"Is it not so?\" said he, and the others agreed with him at once."));
    CHECK_FALSE(is_prose_paragraph("Too short to count."));                                              // 4 words
    CHECK_FALSE(is_prose_paragraph("The scheduler picks the next task to run when the current one"));    // no sentence end
    CHECK_FALSE(is_prose_paragraph("if (x == 1) return y; else the value is kept for the next call."));  // code characters
    CHECK_FALSE(is_prose_paragraph("CONFIG_A CONFIG_B CONFIG_C mm_struct task_struct page_t see these fields."));  // < 80% plain
    CHECK_FALSE(is_prose_paragraph("- a list dash is not a sentence start but the rest reads as prose."));
    // Other languages and lists of names: under 10% English function words.
    CHECK_FALSE(is_prose_paragraph("Le serveur choisit la prochaine t\xC3\xA2" "che quand la t\xC3\xA2" "che courante bloque."));
    CHECK_FALSE(is_prose_paragraph("Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Oscar Peggy."));
    CHECK(is_prose_paragraph("Alice met Bob and Carol at the station, and they went to see Dave."));
}

TEST_CASE("sentences break after . ! ? before a capital, not after abbreviations or initials", "[data][prose]") {
    CHECK(split_sentences("He came. She left! Did they? Yes.") == Strings{"He came.", "She left!", "Did they?", "Yes."});
    CHECK(split_sentences("Mr. Smith met J. Doe, e.g. here. Then \"Go.\" The end.") ==
          Strings{"Mr. Smith met J. Doe, e.g. here.", "Then \"Go.\"", "The end."});
    CHECK(split_sentences("Use version 3.11 of it. it goes on.") == Strings{"Use version 3.11 of it. it goes on."});
}

TEST_CASE("a prose document keeps only prose paragraphs and is dropped when under 50 words", "[data][prose]") {
    const std::string sentence = "Each of these sentences has exactly ten words in it.";
    Strings paragraphs = {"Heading", sentence + " " + sentence, "x = 1; y = 2; return x + y for the sum of all."};
    Document small = prose_document("t/a", 'Z', paragraphs);
    CHECK(small.id.empty());  // 20 words kept
    for (int i = 0; i < 2; ++i) paragraphs.push_back(sentence + " " + sentence);
    const Document d = prose_document("t/a", 'Z', paragraphs);
    REQUIRE(d.id == "t/a");
    CHECK(d.genre == 'Z');
    REQUIRE(d.paragraphs.size() == 3);
    CHECK(d.paragraphs[0].size() == 2);
    CHECK(sentence_text(d.paragraphs[0][1]) == sentence);
}

namespace {
// A SWORD index + data pair, written by hand with zlib: each block's
// offset, compressed and uncompressed size as little-endian u32.
void write_sword(const fs::path& index, const Strings& blocks) {
    std::string idx, data;
    auto put32 = [&](uint32_t v) {
        for (int b = 0; b < 4; ++b) idx.push_back(char((v >> (8 * b)) & 0xFF));
    };
    for (const auto& b : blocks) {
        if (b.empty()) {  // an empty entry, as modules have for books they lack
            put32(0), put32(0), put32(0);
            continue;
        }
        uLongf n = compressBound(b.size());
        std::string z(n, '\0');
        REQUIRE(compress(reinterpret_cast<Bytef*>(z.data()), &n, reinterpret_cast<const Bytef*>(b.data()), b.size()) == Z_OK);
        put32(uint32_t(data.size())), put32(uint32_t(n)), put32(uint32_t(b.size()));
        data += z.substr(0, n);
    }
    write_text(index, idx);
    write_text(index.string().substr(0, index.string().size() - 1) + "z", data);
}
}  // namespace

TEST_CASE("SWORD blocks decompress in order, empty entries skipped - a block past the data is refused naming the file", "[data][prose]") {
    Scratch tmp;
    const fs::path idx = tmp.root / "ot.bzs";
    write_sword(idx, {"first block", "", "second block"});
    CHECK(read_sword_blocks(idx.string()) == Strings{"first block", "second block"});
    write_text(tmp.root / "ot.bzz", "short");
    CHECK_THROWS_WITH(read_sword_blocks(idx.string()), Catch::Contains("ot.bzs: block 0 lies past the end of") && Catch::Contains("ot.bzz"));
}

namespace {
// A source's documents from a fixture folder: reST files of 4 paragraphs of 15 words.
ProseSource fixture_source(char genre, const std::string& id) {
    ProseSource s = prose_sources().at(3);  // the kernel docs' rules, on fixture files
    s.genre = genre;
    s.id = id;
    s.suffixes = {".rst"};
    s.excluded = {"skip/"};
    return s;
}
void write_fixture_docs(const fs::path& dir, int n) {
    const std::string sentence = "Each of these sentences has exactly ten words in it.";
    for (int i = 0; i < n; ++i) {
        std::string text = "Title\n=====\n\n";
        for (int p = 0; p < 4; ++p) text += sentence + " Document " + std::to_string(i) + " says so too.\n\n";
        text += "::\n\n    code block\n";
        write_text(dir / ("d" + std::to_string(i) + ".rst"), text);
    }
    write_text(dir / "skip" / "x.rst", "Excluded folder. " + sentence + " " + sentence + "\n");
    write_text(dir / "notes.txt", sentence + "\n");  // not a listed suffix
    fs::create_symlink("d0.rst", dir / "link.rst");  // a page linked into a second place: read once
}
}  // namespace

TEST_CASE("a source's documents are its files in path order - the split is by document, per source, the same every time", "[data][prose]") {
    Scratch tmp;
    write_fixture_docs(tmp.root / "a", 12);
    write_fixture_docs(tmp.root / "b", 5);
    std::vector<Document> docs = load_prose_source(fixture_source('A', "alpha"), (tmp.root / "a").string());
    REQUIRE(docs.size() == 12);
    CHECK(docs[0].id == "alpha/d0.rst");
    CHECK(docs[1].id == "alpha/d1.rst");  // sorted paths: d0, d1, d10, d11, d2, ...
    CHECK(docs[2].id == "alpha/d10.rst");
    CHECK(std::none_of(docs.begin(), docs.end(), [](const Document& d) { return d.id.find("skip") != std::string::npos; }));
    CHECK(document_text(docs[0]).find("code block") == std::string::npos);
    CHECK(document_text(docs[0]).find("Title") == std::string::npos);
    for (auto& d : load_prose_source(fixture_source('B', "beta"), (tmp.root / "b").string())) docs.push_back(std::move(d));
    REQUIRE(docs.size() == 17);

    const std::vector<Split> split = split_documents(docs, 0.1, 0.1);
    // Each source is its own stratum: round(12 * 0.1) = 1 and round(5 * 0.1) = 0 -> at least 1 each.
    for (char g : {'A', 'B'}) {
        int count[3] = {0, 0, 0};
        for (size_t i = 0; i < docs.size(); ++i)
            if (docs[i].genre == g) count[int(split[i])]++;
        CHECK(count[1] == 1);
        CHECK(count[2] == 1);
        CHECK(count[0] == (g == 'A' ? 10 : 3));
    }
    // The same documents in reverse order get the same splits: they follow the ids, not the order.
    std::vector<Document> reversed(docs.rbegin(), docs.rend());
    const std::vector<Split> again = split_documents(reversed, 0.1, 0.1);
    for (size_t i = 0; i < docs.size(); ++i) CHECK(again[docs.size() - 1 - i] == split[i]);
}

namespace {
// A real .deb of a fixture tree, built with dpkg-deb (as Debian's packages are).
fs::path build_deb(const fs::path& root, const std::string& name, const std::string& version) {
    const fs::path tree = root / "pkgtree";
    write_fixture_docs(tree / "usr/share/doc/fixture", 4);
    write_text(tree / "DEBIAN/control", "Package: " + name + "\nVersion: " + version +
                                            "\nArchitecture: all\nMaintainer: test <t@example.invalid>\nDescription: fixture\n");
    const fs::path deb = root / "debs" / (name + "_" + version + "_all.deb");
    fs::create_directories(deb.parent_path());
    const CommandOutput r = run_command("dpkg-deb --build --root-owner-group " + shell_quote(tree.string()) + " " + shell_quote(deb.string()) + " 2>&1");
    INFO(r.output);
    REQUIRE(r.status == 0);
    return deb;
}
}  // namespace

TEST_CASE("a pinned package whose checksum differs is refused naming both checksums, and nothing is unpacked", "[data][prose]") {
    REQUIRE(std::system("command -v dpkg-deb >/dev/null 2>&1") == 0);  // every Debian machine has it
    Scratch tmp;
    const fs::path deb = build_deb(tmp.root, "altup-fixture", "1.0-1");
    const std::string good = sha256_of(deb);
    REQUIRE(good.size() == 64);
    const std::string bad(64, '0');
    DebianPackage p{"altup-fixture", "1.0-1", bad, "usr/share/doc/fixture"};
    CHECK(debian_package_file(p) == "altup-fixture_1.0-1_all.deb");
    CHECK_THROWS_WITH(ensure_debian_package(tmp.root.string(), p, true),
                      Catch::Contains("Debian package altup-fixture=1.0-1: checksum mismatch for " + deb.string()) &&
                          Catch::Contains("sha256 " + good + ", expected " + bad) && Catch::Contains("was not unpacked"));
    CHECK_FALSE(fs::exists(tmp.root / "deb-altup-fixture_1.0-1"));
    for (const auto& e : fs::directory_iterator(tmp.root)) CHECK(e.path().filename().string().rfind(".fetch-", 0) != 0);

    // With the right pin it is unpacked, only the kept folder stays, and its documents load.
    p.sha256 = good;
    const std::string dir = ensure_debian_package(tmp.root.string(), p, true);
    CHECK(dir == (tmp.root / "deb-altup-fixture_1.0-1" / "data").string());
    CHECK(fs::exists(fs::path(dir) / "d0.rst"));
    CHECK_FALSE(fs::exists(tmp.root / "deb-altup-fixture_1.0-1" / "data" / "usr"));
    CHECK(load_prose_source(fixture_source('A', "alpha"), dir).size() == 4);
    CHECK(ensure_debian_package(tmp.root.string(), p, true) == dir);  // a second call reuses it
}

TEST_CASE("every prose source is pinned to a version and a 64-hex-digit sha256, and the pins are in the cache key", "[data][prose]") {
    const std::string version = prose_corpus_version();
    std::set<char> genres;
    for (const auto& s : prose_sources()) {
        CHECK(s.package.sha256.size() == 64);
        CHECK(s.package.sha256.find_first_not_of("0123456789abcdef") == std::string::npos);
        CHECK_FALSE(s.package.version.empty());
        CHECK(version.find(s.package.name + "=" + s.package.version + ":" + s.package.sha256) != std::string::npos);
        CHECK(genres.insert(s.genre).second);
    }
}
