// The key header at the start of a basket's record on disk, checked before ROOT parses it.
//
// ROOT's TBasket::ReadBasketBuffers trusts that header: a damaged one (a file overwritten in the
// middle, a disk error) makes TKey::Streamer read its name strings, and ReadBasketBuffers its entry
// offsets, from wherever the damaged lengths point, and the process dies with a segmentation
// fault (seen inside `baler compress` on a damaged input). The read hook checks the header first
// and lets such a basket read as failed, as ROOT's own decompression errors do.
#ifndef BALER_BASKETKEYCHECK_H
#define BALER_BASKETKEYCHECK_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

class TFile;

namespace Baler::Internal {

/// Bytes of a basket's record that CheckBasketKey looks at first; a longer key needs
/// `BasketKeyLength(bytes)` bytes.
constexpr std::size_t kBasketKeyProbe = 512;

/// The key length the header claims (bytes 14-15), or 0 when fewer than 16 bytes are given.
std::size_t BasketKeyLength(const unsigned char *bytes, std::size_t available);

/// The date the key header records (bytes 10-13: TDatime's packed form, which orders as time), or
/// 0 when fewer than 14 bytes are given.
std::uint32_t BasketKeyDatime(const unsigned char *bytes, std::size_t available);

/// Empty when the first `available` bytes of a basket record of `recordBytes` bytes (what the
/// branch says the basket occupies on disk) hold a basket key header that ROOT can parse within
/// its own length: its byte count that of the record, class name, name and title inside the key, the basket's fields after them, and
/// its end of data (fLast) inside the decompressed basket; and, where `available` covers the first
/// block header, no compressed block in a payload as long as the object (which every reader takes
/// for the object itself). Otherwise what is wrong, for an error message. `available` must cover
/// the key (min(recordBytes, BasketKeyLength)).
std::string CheckBasketKey(const unsigned char *bytes, std::size_t available, long long recordBytes);

/// Empty when the entry offsets ROOT read for a basket (`offsets`, of `entries` entries) can be
/// trusted: the count stored at the end of data (`last`) of the decoded basket (`buffer`, key
/// included, `keyLength` + `objectLength` bytes) is that of the basket's entries, and each entry
/// starts after the key, no earlier than the one before, and before `last`. ReadBasketBuffers reads
/// the table from wherever fLast points: one flipped bit there gave wrong values with no error,
/// or a crash (a damaged-input sweep); the key check cannot see it, the table being compressed.
/// Otherwise what is wrong, for an error message.
std::string CheckEntryOffsets(const unsigned char *buffer, std::size_t keyLength, std::size_t objectLength,
                              std::size_t last, int entries, const int *offsets);

/// A payload as long as its object is the object itself to every reader (TBasket::ReadBasketBuffers
/// and uproot unzip only a shorter one), so ROOT never writes a compressed block that long. `baler
/// compress` did, from 2d08535 (2026-12-02) to faf6b22 (2026-12-04): a basket stored uncompressed
/// had its values rounded and zipped again, and a zipped form of exactly the object's length was
/// kept. Read as the object, its compressed bytes give wrong values and a garbled entry-offset
/// table, with no error. Says so, for an error message, when the first `available` bytes of a
/// basket record of `recordBytes` bytes hold a key and one block header that claims exactly the
/// object in exactly that room (uncompressed floats begin with such 9 bytes about once in 2^64);
/// otherwise empty.
std::string ZippedBlockStoredAsObject(const unsigned char *bytes, std::size_t available, long long recordBytes);

/// Reads the basket record of `recordBytes` bytes at `seek` of `file` into `record` as far as a
/// reader of its stored blocks needs (inspect, CopiedBaskets): its key and the 9-byte header of
/// its first compressed block, and the whole record when that block is a Baler block. Returns the
/// key length; 0 when the record cannot be read, holds no block header, or is stored uncompressed
/// (its payload is then the object itself).
std::size_t ReadBasketRecordHead(TFile &file, long long seek, int recordBytes, std::vector<char> &record);

/// Decodes a key's compressed payload (`size` bytes of ROOT's blocks, one after another) into its
/// object of `objlen` bytes with R__unzip, each block's sizes checked against the room left
/// first; false when the blocks do not decode to exactly `objlen` bytes.
bool UnzipKeyPayload(const unsigned char *payload, std::size_t size, unsigned char *object, std::size_t objlen);

/// Reads the text of the TObjString stored as the key of `recordBytes` bytes at `seek` of `file`
/// (a model key) into `text`, every length checked here: ROOT's streamer trusts the string's
/// stored length, and a damaged one made TBufferFile::ReadTString read far past its buffer (every
/// process that read any basket of such a file died). Empty, or what is wrong, for an error
/// message. The caller holds gROOTMutex, as for any read of the file.
std::string ReadObjStringKey(TFile &file, long long seek, int recordBytes, std::string &text);

} // namespace Baler::Internal

#endif
