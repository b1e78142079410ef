#include "BasketKeyCheck.h"

#include "RootBlockHeader.h"

#include "RZip.h"
#include "TFile.h"

#include <algorithm>
#include <cstdint>

namespace Baler::Internal {
namespace {

/// Reads ROOT's big-endian fields in order, never past `end`.
class KeyReader {
public:
   KeyReader(const unsigned char *bytes, std::size_t end) : fBytes(bytes), fEnd(end) {}

   bool Has(std::size_t n) const { return fPos <= fEnd && n <= fEnd - fPos; }
   std::size_t Position() const { return fPos; }
   void Skip(std::size_t n) { fPos += n; }

   /// The next n bytes (n <= 4) as an unsigned big-endian number; the caller checked Has(n).
   std::uint32_t Unsigned(std::size_t n)
   {
      std::uint32_t value = 0;
      for (std::size_t i = 0; i < n; ++i)
         value = (value << 8) | fBytes[fPos++];
      return value;
   }

   /// Reads a TString's place (one length byte; 255 means a 4-byte length follows) and moves past
   /// its characters: where they start and how many; false when they would end past `end`.
   bool String(std::size_t &start, std::size_t &length)
   {
      if (!Has(1))
         return false;
      length = Unsigned(1);
      if (length == 255) {
         if (!Has(4))
            return false;
         length = Unsigned(4);
      }
      if (!Has(length))
         return false;
      start = fPos;
      Skip(length);
      return true;
   }

   bool SkipString()
   {
      std::size_t start = 0, length = 0;
      return String(start, length);
   }

private:
   const unsigned char *fBytes;
   std::size_t fEnd;
   std::size_t fPos = 0;
};

// TKey's header: Nbytes (4), Version (2), ObjLen (4), Datime (4), KeyLen (2), Cycle (2), then
// SeekKey and SeekPdir, 4 bytes each, or 8 from key version 1001 on.
constexpr std::size_t kFixedKeyHeader = 18;
constexpr std::uint32_t kLargeFileKeyVersion = 1000;
// TBufferFile::ReadVersion: a leading 4-byte byte count is marked by this bit.
constexpr std::uint32_t kByteCountMask = 0x40000000;
// TObject::kIsReferenced: a streamed TObject's fBits followed by a process id (2 bytes).
constexpr std::uint32_t kIsReferencedBit = 1u << 4;
// A model key's object is a few kB; a larger length is damage, not an allocation to make.
constexpr std::uint32_t kMaxStringKeyObject = 256u << 20;

std::int32_t Signed32(std::uint32_t value)
{
   return static_cast<std::int32_t>(value);
}

} // namespace

std::size_t BasketKeyLength(const unsigned char *bytes, std::size_t available)
{
   if (available < 16)
      return 0;
   return static_cast<std::size_t>(static_cast<std::uint16_t>(bytes[14] << 8 | bytes[15]) & 0x7fff);
}

std::uint32_t BasketKeyDatime(const unsigned char *bytes, std::size_t available)
{
   if (available < 14)
      return 0;
   KeyReader header(bytes, 14);
   header.Skip(10); // fNbytes, fVersion, fObjlen
   return header.Unsigned(4);
}

std::size_t ReadBasketRecordHead(TFile &file, long long seek, int recordBytes, std::vector<char> &record)
{
   auto read = [&](std::size_t length) {
      record.resize(std::min(length, static_cast<std::size_t>(recordBytes)));
      return !file.ReadBuffer(record.data(), seek, static_cast<Int_t>(record.size()));
   };
   if (seek <= 0 || recordBytes < static_cast<int>(kFixedKeyHeader) || !read(kBasketKeyProbe))
      return 0;
   const auto *bytes = reinterpret_cast<const unsigned char *>(record.data());
   const std::size_t keyLength = BasketKeyLength(bytes, record.size());
   const std::size_t blockStart = keyLength + kRootHeaderSize;
   KeyReader header(bytes, kFixedKeyHeader);
   header.Skip(6);
   const std::uint32_t objectLength = header.Unsigned(4);
   if (keyLength == 0 || blockStart > static_cast<std::size_t>(recordBytes) ||
       objectLength == static_cast<std::size_t>(recordBytes) - keyLength)
      return 0;
   if (blockStart > record.size() && !read(blockStart))
      return 0;
   if (IsBalerBlock(reinterpret_cast<const unsigned char *>(record.data()) + keyLength) && !read(recordBytes))
      return 0;
   return keyLength;
}

std::string CheckBasketKey(const unsigned char *bytes, std::size_t available, long long recordBytes)
{
   if (recordBytes < static_cast<long long>(kFixedKeyHeader) || available < kFixedKeyHeader)
      return "the basket's record (" + std::to_string(recordBytes) + " bytes) is shorter than a key header";
   KeyReader header(bytes, kFixedKeyHeader);
   // ROOT reads the record the branch records and then trusts the key's own byte count: one
   // differing (a damaged high byte) gave values from past the record, silently, or a crash
   const long long keyBytes = header.Unsigned(4);
   if (keyBytes != recordBytes)
      return "its byte count " + std::to_string(keyBytes) + " is not the " + std::to_string(recordBytes) +
             " bytes its branch records";
   const std::uint32_t keyVersion = header.Unsigned(2);
   const std::int32_t objectLength = Signed32(header.Unsigned(4));
   header.Skip(4);
   const auto keyLength = static_cast<std::int16_t>(header.Unsigned(2));
   if (keyLength <= 0 || keyLength > recordBytes || static_cast<std::size_t>(keyLength) > available)
      return "its key length " + std::to_string(keyLength) + " does not fit the basket's record of " +
             std::to_string(recordBytes) + " bytes";
   if (objectLength < 0)
      return "its object length " + std::to_string(objectLength) + " is negative";

   KeyReader key(bytes, static_cast<std::size_t>(keyLength));
   key.Skip(kFixedKeyHeader + (keyVersion > kLargeFileKeyVersion ? 16 : 8));
   for (const char *field : {"class name", "name", "title"})
      if (!key.SkipString())
         return std::string("its ") + field + " runs past the key's " + std::to_string(keyLength) + " bytes";

   // TBasket's own fields: version (with an optional byte count), fBufferSize, fNevBufSize (negative
   // when an fIOBits byte follows), fNevBuf, fLast, and a flag byte.
   if (key.Has(4)) {
      KeyReader peek = key;
      if (peek.Unsigned(4) & kByteCountMask)
         key.Skip(4);
   }
   if (!key.Has(2 + 4 + 4))
      return "its basket fields run past the key's " + std::to_string(keyLength) + " bytes";
   key.Skip(2 + 4);
   if (Signed32(key.Unsigned(4)) < 0)
      key.Skip(1);
   if (!key.Has(4 + 4 + 1))
      return "its basket fields run past the key's " + std::to_string(keyLength) + " bytes";
   const std::int32_t entries = Signed32(key.Unsigned(4));
   const std::int32_t last = Signed32(key.Unsigned(4));
   if (entries < 0)
      return "its entry count " + std::to_string(entries) + " is negative";
   if (last < keyLength || static_cast<long long>(last) > static_cast<long long>(keyLength) + objectLength)
      return "its end of data " + std::to_string(last) + " lies outside the basket's " +
             std::to_string(static_cast<long long>(keyLength) + objectLength) + " bytes";
   return ZippedBlockStoredAsObject(bytes, available, recordBytes);
}

std::string CheckEntryOffsets(const unsigned char *buffer, std::size_t keyLength, std::size_t objectLength,
                              std::size_t last, int entries, const int *offsets)
{
   const std::size_t end = keyLength + objectLength;
   // (no table: ROOT generates the offsets of such a basket, TBasket::EIOBits::kGenerateOffsetMap)
   if (entries <= 0 || !offsets || last == end)
      return {};
   if (last < keyLength || last > end || end - last < 4)
      return "its end of data " + std::to_string(last) + " leaves no room for the entry offsets in its " +
             std::to_string(end) + " bytes";
   KeyReader table(buffer + last, end - last);
   // TBasket::WriteBuffer stores fNevBuf + 1 offsets (the last one is fLast); older writers fNevBuf
   const std::int32_t stored = Signed32(table.Unsigned(4));
   if (stored != entries && stored != entries + 1)
      return "its entry-offset table at byte " + std::to_string(last) + " counts " + std::to_string(stored) +
             " entries, not its " + std::to_string(entries) + " (its end of data is damaged)";
   long long previous = static_cast<long long>(keyLength);
   for (int i = 0; i < entries; ++i) {
      if (offsets[i] < previous || static_cast<std::size_t>(offsets[i]) > last)
         return "entry " + std::to_string(i) + " of its " + std::to_string(entries) + " starts at byte " +
                std::to_string(offsets[i]) + ", outside bytes " + std::to_string(previous) + " to " +
                std::to_string(last) + " (its entry offsets are damaged)";
      previous = offsets[i];
   }
   return {};
}

std::string ZippedBlockStoredAsObject(const unsigned char *bytes, std::size_t available, long long recordBytes)
{
   if (available < kFixedKeyHeader)
      return {};
   KeyReader header(bytes, kFixedKeyHeader);
   header.Skip(6);
   const std::size_t objectLength = header.Unsigned(4);
   header.Skip(4);
   const std::size_t keyLength = header.Unsigned(2);
   if (static_cast<long long>(keyLength + objectLength) != recordBytes || available < keyLength + kRootHeaderSize)
      return {};
   const unsigned char *block = bytes + keyLength;
   const char *algorithm = CompressionMethodOfBlock(block);
   if (!algorithm || PayloadSize(block) + kRootHeaderSize != objectLength || DecodedSize(block) != objectLength)
      return {};
   return std::string("its payload is as long as its object, so it would be read as the uncompressed object, but it is "
                      "a ") + algorithm + " block of that object: `baler compress` wrote such baskets from 2026-12-02 to "
                      "2026-12-04 (before commit faf6b22), and ROOT and uproot read their values wrong; compress the "
                      "original file again";
}

bool UnzipKeyPayload(const unsigned char *payload, std::size_t size, unsigned char *object, std::size_t objlen)
{
   std::size_t left = size, done = 0;
   auto *in = const_cast<unsigned char *>(payload); // R__unzip's arguments are not const; it only reads them
   while (done < objlen) {
      int blockSize = 0, decodedSize = 0;
      if (left < kRootHeaderSize || R__unzip_header(&blockSize, in, &decodedSize) != 0 || blockSize <= 0 ||
          static_cast<std::size_t>(blockSize) > left || decodedSize <= 0 ||
          static_cast<std::size_t>(decodedSize) > objlen - done)
         return false;
      int decoded = 0;
      R__unzip(&blockSize, in, &decodedSize, object + done, &decoded);
      if (decoded != decodedSize)
         return false;
      in += blockSize;
      left -= static_cast<std::size_t>(blockSize);
      done += static_cast<std::size_t>(decodedSize);
   }
   return left == 0;
}

std::string ReadObjStringKey(TFile &file, long long seek, int recordBytes, std::string &text)
{
   if (seek <= 0 || recordBytes < static_cast<int>(kFixedKeyHeader))
      return "its record is shorter than a key header";
   std::vector<unsigned char> record(static_cast<std::size_t>(recordBytes));
   if (file.ReadBuffer(reinterpret_cast<char *>(record.data()), seek, recordBytes))
      return "its record cannot be read";
   KeyReader header(record.data(), record.size());
   const std::uint32_t nbytes = header.Unsigned(4);
   header.Skip(2);
   const std::uint32_t objlen = header.Unsigned(4);
   header.Skip(4);
   const std::size_t keylen = header.Unsigned(2);
   if (nbytes != record.size() || keylen < kFixedKeyHeader || keylen > record.size() || objlen > kMaxStringKeyObject)
      return "its key header does not match its record";
   const unsigned char *payload = record.data() + keylen;
   const std::size_t payloadSize = record.size() - keylen;
   std::vector<unsigned char> object;
   if (payloadSize == objlen) {
      object.assign(payload, payload + payloadSize);
   } else {
      object.resize(objlen);
      if (!UnzipKeyPayload(payload, payloadSize, object.data(), objlen))
         return "its compressed bytes do not decode to the " + std::to_string(objlen) + " bytes its key records";
   }
   // A TObjString as a key streams it: a byte count (marked by kByteCountMask) and its version;
   // TObject's version, fUniqueID and fBits (then a process id, where kIsReferenced); the TString.
   // Only where the string lies matters here: the reader never leaves the object, and a model's
   // content hash checks the text.
   KeyReader streamed(object.data(), object.size());
   if (!streamed.Has(16))
      return "it is too short for a TObjString";
   if (!(streamed.Unsigned(4) & kByteCountMask))
      return "it does not open with a TObjString's byte count";
   streamed.Skip(2 + 2 + 4);
   if (streamed.Unsigned(4) & kIsReferencedBit) {
      if (!streamed.Has(2))
         return "it is too short for a TObjString";
      streamed.Skip(2);
   }
   std::size_t start = 0, length = 0;
   if (!streamed.String(start, length))
      return "its string's length runs past its object";
   text.assign(reinterpret_cast<const char *>(object.data() + start), length);
   return "";
}

} // namespace Baler::Internal
