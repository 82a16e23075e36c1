#include "experiments/data/prose_corpus.hpp"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "experiments/data/prose_cleaning.hpp"
#include "experiments/data/sword_module.hpp"

namespace altup {
namespace fs = std::filesystem;

namespace {
// A new value whenever the cleaning rules or the source list change what the corpus holds.
constexpr int kProseRulesVersion = 1;

std::string read_file_text(const fs::path& path) {
    if (path.extension() == ".gz") {
        gzFile f = gzopen(path.c_str(), "rb");
        if (!f) throw std::runtime_error(path.string() + ": cannot open the gzip file");
        std::string out;
        char buf[1 << 16];
        int n;
        while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
        const bool bad = n < 0;
        gzclose(f);
        if (bad) throw std::runtime_error(path.string() + ": corrupt gzip data");
        return out;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path.string() + ": cannot read");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

const std::vector<ProseSource>& prose_sources() {
    // Versions from Debian 12's main archive where it has one (bookworm-security's are replaced more often).
    static const std::vector<ProseSource> s = {
        {'A', "tdavid", "C. H. Spurgeon, The Treasury of David (1869-1885), commentary on the Psalms",
         {"sword-comm-tdavid", "2.1-1", "bcbfad701c5c4a061475b58309cebc42755a59e87478c8355227c5e046412b3f",
          "usr/share/sword/modules/comments/zcom/tdavid"},
         ProseFormat::sword, {".czs"}, {}},
        {'B', "mhcc", "Matthew Henry's Concise Commentary on the Bible (1706-1721)",
         {"sword-comm-mhcc", "2.0-1", "06f748215de78ff48fdfdee93e3ffc5af6318b976485f7aedf22309236967e35",
          "usr/share/sword/modules/comments/zcom/mhcc"},
         ProseFormat::sword, {".bzs"}, {}},
        {'C', "web", "World English Bible (2015 edition), without its footnotes",
         {"sword-text-web", "426.0-1", "930b23670b352f0829a306501de4bebb5e654a2df02cde2cbe86b802177868e1",
          "usr/share/sword/modules/texts/ztext/engWEB2015eb"},
         ProseFormat::sword, {".bzs"}, {}},
        {'D', "linux", "Linux kernel documentation 6.1 (Documentation/, English, prose paragraphs only)",
         {"linux-doc-6.1", "6.1.176-1", "0d843674607703b9ef8c1db5e715c38ed52ff23574feabfe0d961d552126859f",
          "usr/share/doc/linux-doc-6.1/Documentation"},
         ProseFormat::rst, {".rst.gz", ".txt.gz"}, {"translations/", "devicetree/", "ABI/", "output/", "sphinx/"}},
        {'E', "python", "Python 3.11 documentation (reST sources, prose paragraphs only)",
         {"python3.11-doc", "3.11.2-6+deb12u8", "50eb63e7f636c4281e9ce1b8f10386f1def42159eddce34fc1f41c46261df71b",
          "usr/share/doc/python3.11/html/_sources"},
         ProseFormat::rst, {".rst.txt"}, {"whatsnew/changelog"}},
        {'F', "perl", "Perl 5.36 documentation (POD, prose paragraphs only; the perl*delta release notes left out)",
         {"perl-doc", "5.36.0-7+deb12u3", "e9e3564ff5ade27de0585835f2acad769bcc545c0a0045a9f55d5401f27f7591",
          "usr/share/perl/5.36.0/pod"},
         ProseFormat::pod, {".pod"}, {"delta.pod"}},
        {'G', "postgresql", "PostgreSQL 15 documentation (HTML, prose paragraphs only)",
         {"postgresql-doc-15", "15.18-0+deb12u1", "3c598277a463c44d672daa2c335deb8d8252e1852fb025fd4578ea2d9a1b90f0",
          "usr/share/doc/postgresql-doc-15/html"},
         ProseFormat::html, {".html"}, {}},
        {'H', "scofield", "Scofield Reference Notes (1917 edition)",
         {"sword-comm-scofield", "2.1-1", "0c11a9533d4870ec40cc72792ecde8aae6e4cc00eca12301150aac018fd5dfcb",
          "usr/share/sword/modules/comments/zcom/scofield"},
         ProseFormat::sword, {".bzs"}, {}},
        {'I', "lilypond", "GNU LilyPond 2.24 manuals (HTML, English pages' prose paragraphs)",
         {"lilypond-doc-html", "2.24.1-2", "be9fb743e58bd5ad4710146fe05e7c5f447fe4559e42c6acef1916d53e4bec60",
          "usr/share/doc/lilypond/html/Documentation"},
         ProseFormat::html, {".html"}, {}},
        {'J', "libreoffice", "LibreOffice 7.4 help, en-US (HTML, prose paragraphs only)",
         {"libreoffice-help-en-us", "4:7.4.7-1+deb12u14", "8faa840285734d6cfe1ed25537b48f07e74bd6412e3917bf8e5f8a653f7b3712",
          "usr/share/libreoffice/help/en-US"},
         ProseFormat::html, {".html"}, {}},
        {'K', "django", "Django 3.2 documentation (HTML, prose paragraphs only)",
         {"python-django-doc", "3:3.2.25-0+deb12u3", "33319c8e45b95693603213442ccf9bcee933ef338488115203ad25a0e01c696f",
          "usr/share/doc/python-django-doc/html"},
         ProseFormat::html, {".html"}, {"_modules/", "genindex", "py-modindex", "search.html"}},
        {'L', "apache", "Apache HTTP Server 2.4 manual (HTML; English pages only pass the prose rule)",
         {"apache2-doc", "2.4.68-1~deb12u1", "cee8fe80ffb5de2744cd690c3d795b489e43a1c44c4e3a634c521642f22d7835",
          "usr/share/doc/apache2-doc/manual"},
         ProseFormat::html, {".html"}, {}},
        {'M', "octave", "GNU Octave 7.3 manual (HTML, prose paragraphs only)",
         {"octave-doc", "7.3.0-2", "b27897cc7e3d688daa5cb8f8d1ea47077f3fbd205ce32e22522200ff0c1eadd5", "usr/share/doc/octave"},
         ProseFormat::html, {".html"}, {}},
        {'N', "sqlalchemy", "SQLAlchemy 1.4 documentation (reST sources, prose paragraphs only; changelog left out)",
         {"python-sqlalchemy-doc", "1.4.46+ds1-1", "8805c3167ef75278ac6fd58ed9856321c2b2e3a7e441edba84b2eb955216d0fd",
          "usr/share/doc/python-sqlalchemy-doc/rst"},
         ProseFormat::rst, {".rst"}, {"changelog/"}},
        {'O', "git", "Git 2.39 documentation (AsciiDoc sources, read by the reST rules)",
         {"git-doc", "1:2.39.5-0+deb12u3", "3c89668a11053a6bafade3de1f611f4613db31e082af63f43d8c5b69ad8795ec", "usr/share/doc/git-doc"},
         ProseFormat::rst, {".txt"}, {}},
        {'P', "cmake", "CMake 3.25 documentation (reST sources, prose paragraphs only)",
         {"cmake-doc", "3.25.1-1", "6e805a758ffed87cc7ea234cf0a7a1bb8ae78b93d8b5783e7fb989a6320f8133",
          "usr/share/doc/cmake-data/html/_sources"},
         ProseFormat::rst, {".txt"}, {}},
        {'Q', "gimp", "GIMP 2.10 user manual, English (HTML, prose paragraphs only)",
         {"gimp-help-en", "2.10.34-2", "a2deec76763aaf2fcdd197bac0736cdcb0770ba993d48d233329e1c92b0bfe36",
          "usr/share/gimp/2.0/help/en"},
         ProseFormat::html, {".html"}, {}},
        {'R', "pandas", "pandas 1.5 documentation (reST sources, prose paragraphs only; release notes left out)",
         {"python-pandas-doc", "1.5.3+dfsg-2", "4998405ff6b12432f46594963e95554ade1104705795428396345fca58d853f8",
          "usr/share/doc/python-pandas-doc/html/_sources"},
         ProseFormat::rst, {".rst.txt"}, {"whatsnew/"}},
    };
    return s;
}

std::string prose_corpus_version() {
    std::string v = fmt::format("prose-rules-{}", kProseRulesVersion);
    for (const auto& s : prose_sources()) v += fmt::format("|{}={}:{}", s.package.name, s.package.version, s.package.sha256);
    return v;
}

Document prose_document(const std::string& id, char genre, const std::vector<std::string>& paragraphs) {
    Document d;
    size_t words = 0;
    for (const auto& p : paragraphs) {
        if (!is_prose_paragraph(p)) continue;
        std::vector<Sentence> para;
        for (const auto& s : split_sentences(p)) {
            Sentence sent;
            std::istringstream in(s);
            std::string w;
            while (in >> w) sent.push_back({w, ""});
            words += sent.size();
            if (!sent.empty()) para.push_back(std::move(sent));
        }
        if (!para.empty()) d.paragraphs.push_back(std::move(para));
    }
    if (words < size_t(kMinProseDocumentWords)) return Document{};
    d.id = id;
    d.genre = genre;
    return d;
}

std::vector<Document> load_prose_source(const ProseSource& source, const std::string& dir) {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        // Symbolic links are skipped: packages link one page into several places
        // (Apache's manual links untranslated pages into every language).
        if (e.is_symlink() || !e.is_regular_file()) continue;
        const std::string rel = fs::relative(e.path(), dir).generic_string();
        const bool wanted = std::any_of(source.suffixes.begin(), source.suffixes.end(), [&](const std::string& x) { return ends_with(rel, x); });
        const bool excluded = std::any_of(source.excluded.begin(), source.excluded.end(), [&](const std::string& x) { return rel.find(x) != std::string::npos; });
        if (wanted && !excluded) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty())
        throw std::runtime_error(fmt::format("{}: no {} files for source {} ({}): the unpacked package is incomplete; delete {} to fetch it again",
                                             dir, source.suffixes.front(), source.id, source.package.name, fs::path(dir).parent_path().string()));
    std::vector<Document> docs;
    for (const auto& f : files) {
        const std::string rel = fs::relative(f, dir).generic_string();
        if (source.format == ProseFormat::sword) {
            // One document per block: a book or a chapter, as the module is blocked.
            const std::vector<std::string> blocks = read_sword_blocks(f.string());
            const std::string testament = f.stem().string();
            for (size_t b = 0; b < blocks.size(); ++b) {
                Document d = prose_document(fmt::format("{}/{}/{}", source.id, testament, b), source.genre, osis_paragraphs(blocks[b]));
                if (!d.id.empty()) docs.push_back(std::move(d));
            }
            continue;
        }
        const std::string text = read_file_text(f);
        const std::vector<std::string> paragraphs = source.format == ProseFormat::rst ? rst_paragraphs(text)
                                                    : source.format == ProseFormat::pod ? pod_paragraphs(text)
                                                                                        : html_paragraphs(text);
        Document d = prose_document(source.id + "/" + rel, source.genre, paragraphs);
        if (!d.id.empty()) docs.push_back(std::move(d));
    }
    return docs;
}

std::vector<Document> load_prose_corpus(const std::string& cache_dir, bool quiet) {
    std::vector<Document> all;
    for (const auto& s : prose_sources()) {
        const std::string dir = ensure_debian_package(cache_dir, s.package, quiet);
        std::vector<Document> docs = load_prose_source(s, dir);
        if (docs.size() < 3)
            throw std::runtime_error(fmt::format("{}: source {} gave {} documents, expected at least 3 (one each for train, validation, test)",
                                                 dir, s.id, docs.size()));
        for (auto& d : docs) all.push_back(std::move(d));
    }
    return all;
}

const ProseSource* prose_source_of(const Document& d) {
    for (const auto& s : prose_sources())
        if (d.id.rfind(s.id + "/", 0) == 0) return &s;
    return nullptr;
}

}  // namespace altup
