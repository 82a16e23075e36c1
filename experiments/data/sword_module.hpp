// The text of a compressed SWORD module (zText / zCom, as Debian's sword-*
// packages ship them): its blocks (a book or a chapter each, as the module's
// BlockType says), each a zlib stream listed in the .?zs index.
#pragma once
#include <string>
#include <vector>

namespace altup {

// The uncompressed blocks of one testament of a module, in order: `index`
// is the ot.bzs / nt.czs file, its data file the same name ending in 'z'
// (ot.bzz). Empty blocks are skipped. Throws std::runtime_error naming the
// file on a short index, a block past the data's end or a corrupt stream.
std::vector<std::string> read_sword_blocks(const std::string& index);

}  // namespace altup
