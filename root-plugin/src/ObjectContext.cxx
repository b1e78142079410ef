#include "ObjectContext.h"

#include "BasketKeyCheck.h"
#include "ModelStore.h"
#include "RootBlockHeader.h"

#include "TBasket.h"
#include "TBranch.h"
#include "TFile.h"
#include "TMath.h"
#include "TObjArray.h"
#include "TTree.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <utility>
#include <unistd.h>

namespace Baler::Internal {

using Error = ContextUnavailable;

namespace {

/// Decoded values of carrier baskets, keyed by file UUID, tree path, branch and entry range, and
/// by the tree's write generation (writing through ROOT) or the basket's place in the file
/// (reading). Bounded: the oldest entries go first (a member is written, or read, right after its
/// context).
class ContextCache {
public:
   ContextValues Find(const std::string &key)
   {
      std::lock_guard<std::mutex> lock(fMutex);
      auto it = fValues.find(key);
      return it == fValues.end() ? nullptr : it->second;
   }

   /// Caches `values` under `key`. A carrier of a tree written through ROOT names its branch in
   /// its tree's generation (`lineage`): its previous basket's values go, since the members of
   /// those entries were written before this basket was (a flush of the tree's baskets ends
   /// before the next begins). Kept until evicted, a writing process held up to the cache's
   /// bound in values no basket would ask for (160 MB more at the peak of a 10^6-event Snapshot).
   void Put(const std::string &key, ContextValues values, const std::string &lineage = {})
   {
      std::lock_guard<std::mutex> lock(fMutex);
      EraseLocked(key);
      if (!lineage.empty()) {
         auto [latest, fresh] = fLatest.try_emplace(lineage, key);
         if (!fresh && latest->second != key) {
            EraseLocked(latest->second);
            latest->second = key;
         }
      }
      fDoubles += Size(*values);
      fValues.emplace(key, std::move(values));
      fOrder.push_back(key);
      while (fOrder.size() > kMaxEntries || fDoubles > kMaxDoubles)
         EraseLocked(fOrder.front());
   }

   void Erase(const std::string &key)
   {
      std::lock_guard<std::mutex> lock(fMutex);
      EraseLocked(key);
   }

   /// Forgets every basket of the file with UUID `uuid`.
   void EraseFile(const std::string &uuid)
   {
      const std::string prefix = uuid + '\n';
      auto ofFile = [&](const std::string &key) { return key.compare(0, prefix.size(), prefix) == 0; };
      std::lock_guard<std::mutex> lock(fMutex);
      for (auto it = fValues.lower_bound(prefix); it != fValues.end() && ofFile(it->first);) {
         fDoubles -= Size(*it->second);
         it = fValues.erase(it);
      }
      for (auto it = fLatest.lower_bound(prefix); it != fLatest.end() && ofFile(it->first);)
         it = fLatest.erase(it);
      fOrder.erase(std::remove_if(fOrder.begin(), fOrder.end(), ofFile), fOrder.end());
   }

   std::size_t Baskets()
   {
      std::lock_guard<std::mutex> lock(fMutex);
      return fValues.size();
   }

private:
   static constexpr std::size_t kMaxEntries = 4096;
   static constexpr std::size_t kMaxDoubles = std::size_t(32) << 20; // 256 MiB

   static std::size_t Size(const baler::codec::ContextBasket &values) { return values.floats.size() + values.ints.size() / 2; }

   void EraseLocked(const std::string &key)
   {
      auto it = fValues.find(key);
      if (it == fValues.end())
         return;
      fDoubles -= Size(*it->second);
      fValues.erase(it);
      for (auto at = fOrder.begin(); at != fOrder.end(); ++at)
         if (*at == key) {
            fOrder.erase(at);
            break;
         }
   }

   std::mutex fMutex;
   std::map<std::string, ContextValues> fValues;
   std::map<std::string, std::string> fLatest; ///< lineage -> the key of its latest basket
   std::deque<std::string> fOrder;
   std::size_t fDoubles = 0;
};

/// Never destroyed: ROOT writes baskets from its exit handlers.
ContextCache &TheCache()
{
   static auto *cache = new ContextCache;
   return *cache;
}

/// The branches (tree name and branch name) that members' blocks have been read with as their
/// context in this process. Learnt from the members' blocks, so that a process that reads no
/// member caches nothing, and one that does pays for decoding its carriers twice on the first
/// entry range only.
class ReadContextBranches {
public:
   bool Contains(const TBranch &branch)
   {
      if (!fAny.load(std::memory_order_acquire))
         return false;
      std::shared_lock<std::shared_mutex> lock(fMutex);
      return fNames.count(Name(*branch.GetTree(), branch.GetName())) != 0;
   }

   void Add(const TTree &tree, const std::string &branch)
   {
      std::string name = Name(tree, branch);
      {
         std::shared_lock<std::shared_mutex> lock(fMutex);
         if (fNames.count(name))
            return;
      }
      std::unique_lock<std::shared_mutex> lock(fMutex);
      fNames.insert(std::move(name));
      fAny.store(true, std::memory_order_release);
   }

private:
   static std::string Name(const TTree &tree, const std::string &branch) { return std::string(tree.GetName()) + '\n' + branch; }

   std::atomic<bool> fAny{false};
   std::shared_mutex fMutex;
   std::set<std::string> fNames;
};

std::atomic<long long> gContextBasketsFetched{0};

ReadContextBranches &TheReadContext()
{
   static auto *branches = new ReadContextBranches;
   return *branches;
}

/// The cache's name for a tree of a file: its file's UUID and its path in the file.
std::string TreeKey(TFile &file, const TTree &tree)
{
   return UuidOf(file) + '\n' + TreePath(tree);
}

std::string CacheKey(const std::string &treeKey, const std::string &branch, Long64_t first, Long64_t entries)
{
   return treeKey + '\n' + branch + '\n' + std::to_string(first) + '+' + std::to_string(entries);
}

/// The carriers' values cached while a tree is written through ROOT are given only to members
/// written in the same generation of that tree. The same tree, file and entries come again after a
/// reset: TBufferMerger (RDataFrame's multi-threaded Snapshot) resets its tree after each Write,
/// the file keeping its UUID, and a tree may be Reset or made again under its name. A member
/// written before its carrier then found the carrier's values of the earlier generation, and its
/// block could never be read (a stress sweep: 5 Snapshots in 10, 18 TBufferMerger runs in 20).
class WriteGenerations {
public:
   /// The generation of the tree `treeKey` in which `branch` writes its basket starting at entry
   /// `first`: a new one for a tree not met since its file last wrote its StreamerInfo, or when
   /// the branch writes a basket that does not start after its last one (the tree began again).
   std::uint64_t For(const std::string &treeKey, const std::string &branch, Long64_t first)
   {
      std::lock_guard<std::mutex> lock(fMutex);
      auto [tree, fresh] = fTrees.try_emplace(treeKey);
      auto last = tree->second.lastFirst.find(branch);
      if (fresh || (last != tree->second.lastFirst.end() && first <= last->second)) {
         tree->second.generation = ++fLastGeneration;
         tree->second.lastFirst.clear();
      }
      tree->second.lastFirst[branch] = first;
      return tree->second.generation;
   }

   /// Forgets the trees of the file with UUID `uuid`: their next baskets start new generations.
   void EndFile(const std::string &uuid)
   {
      std::lock_guard<std::mutex> lock(fMutex);
      const std::string prefix = uuid + '\n';
      for (auto it = fTrees.lower_bound(prefix); it != fTrees.end() && it->first.compare(0, prefix.size(), prefix) == 0;)
         it = fTrees.erase(it);
   }

private:
   struct Tree {
      std::uint64_t generation = 0;
      std::map<std::string, Long64_t> lastFirst; ///< branch -> the first entry of its last basket
   };
   std::mutex fMutex;
   std::map<std::string, Tree> fTrees; ///< TreeKey -> its generation
   std::uint64_t fLastGeneration = 0;
};

/// Never destroyed, as the cache.
WriteGenerations &TheWriteGenerations()
{
   static auto *generations = new WriteGenerations;
   return *generations;
}

/// PrepareMemberWrite for the tree the cache names `treeKey` (TreeKey, and the write generation
/// where the tree is written through ROOT).
std::unique_ptr<MemberWrite> PrepareMemberWriteIn(const std::string &treeKey, const std::string &branch, Long64_t first,
                                                  Long64_t entries, const baler::codec::Model &model)
{
   if (!model.IsObjectModel())
      return nullptr;
   auto write = std::make_unique<MemberWrite>();
   std::vector<std::string> contextNames;
   write->context.member = branch;
   if (!model.ObjectMemberContext(write->context.member, contextNames))
      return nullptr;
   write->context.firstEntry = static_cast<std::uint64_t>(first);
   write->context.entries = static_cast<std::uint64_t>(entries);
   write->carrier = contextNames.empty();
   write->cacheKey = CacheKey(treeKey, write->context.member, first, entries);
   for (const auto &name : contextNames) {
      ContextValues values = TheCache().Find(CacheKey(treeKey, name, first, entries));
      if (!values) { // not written (yet, under IMT) or not as one Baler block: no context
         write->held.clear();
         break;
      }
      write->held.push_back(std::move(values));
   }
   for (const auto &values : write->held)
      write->context.values.push_back(&values->floats);
   // every member but the model's first carrier derives its entry offsets from that carrier's
   // basket of the same entries, when it was kept as one Baler block (the same rule as above)
   const std::string source = model.ObjectOffsetsSource(write->context.member);
   if (!source.empty())
      write->offsetsSource = TheCache().Find(CacheKey(treeKey, source, first, entries));
   if (write->offsetsSource)
      write->context.offsets = &write->offsetsSource->ints;
   return write;
}

std::uint32_t ReadBE(const unsigned char *at, int bytes)
{
   std::uint32_t v = 0;
   for (int i = 0; i < bytes; ++i)
      v = (v << 8) | at[i];
   return v;
}

/// The bytes of the key at `seek` (`nbytes` long) of the local file `file`, read with `pread` on
/// the file's own descriptor: `pread` moves no file offset, so ROOT's TFile (its offset, caches,
/// counters) is left alone, and no file is opened per basket. A file that is a member of an
/// archive (`arch.zip#f.root`) starts at the member's offset in the archive's descriptor.
std::vector<unsigned char> ReadKeyBytes(TFile &file, Long64_t seek, Int_t nbytes)
{
   if (file.IsA() != TFile::Class())
      throw Error(std::string("context baskets are read from local files; ") + file.GetName() + " is a " +
                  file.IsA()->GetName());
   const int fd = file.GetFd();
   if (fd < 0)
      throw Error(std::string("file ") + file.GetName() + " is not open to read a context basket from");
   std::vector<unsigned char> bytes(static_cast<std::size_t>(nbytes));
   std::size_t done = 0;
   while (done < bytes.size()) {
      const ssize_t got = ::pread(fd, bytes.data() + done, bytes.size() - done,
                                  static_cast<off_t>(file.GetArchiveOffset() + seek + done));
      if (got <= 0)
         break;
      done += static_cast<std::size_t>(got);
   }
   if (done != bytes.size())
      throw Error("cannot read " + std::to_string(nbytes) + " bytes at " + std::to_string(seek) + " of " + file.GetName());
   return bytes;
}

/// The Baler block of the basket stored as the key `key`: one block holding the whole basket, as a
/// carrier's basket is when a member is coded with it (pointer into `key`, and its payload size).
std::pair<const unsigned char *, std::size_t> CarrierBlock(const std::vector<unsigned char> &key, const std::string &what)
{
   // TKey header: Nbytes(4) Version(2) ObjLen(4) Datime(4) KeyLen(2) ..., big-endian
   const std::string damage = CheckBasketKey(key.data(), key.size(), static_cast<long long>(key.size()));
   if (!damage.empty())
      throw Error(what + ": its record is damaged: " + damage);
   const std::size_t nbytes = ReadBE(key.data(), 4);
   const std::size_t objlen = ReadBE(key.data() + 6, 4);
   const std::size_t keylen = BasketKeyLength(key.data(), key.size());
   if (nbytes != key.size() || keylen + kRootHeaderSize > nbytes)
      throw Error(what + ": its record is not the " + std::to_string(key.size()) + " bytes its branch says");
   const unsigned char *block = key.data() + keylen;
   if (!IsBalerBlock(block) || kRootHeaderSize + PayloadSize(block) != nbytes - keylen || DecodedSize(block) != objlen)
      throw Error(what + ": not stored as one Baler block");
   return {block + kRootHeaderSize, PayloadSize(block)};
}

/// The cache's name for basket `index` of `carrier` read from `file`: its entries, and where it is
/// stored. By entries alone, the cycles of a tree (events;1, events;2), or a tree written again in
/// place, met the values of another basket of the same path and entries read earlier in the
/// process, and every member read with them failed.
std::string ReadCacheKey(TFile &file, const TTree &tree, const TBranch &carrier, Int_t index)
{
   const Long64_t first = carrier.GetBasketEntry()[index];
   return CacheKey(TreeKey(file, tree), carrier.GetName(), first, BasketEndEntry(carrier, index) - first) + '@' +
          std::to_string(carrier.GetBasketSeek(index)) + '+' + std::to_string(carrier.GetBasketBytes()[index]);
}

/// The values of `name`'s basket of entries first+entries in `tree` (cached, or read from `file`
/// and decoded), as the context of `member`. Its block may derive its entry offsets from another
/// member's basket only when `mayDerive` (a context basket of a member's block), and that basket
/// must need nothing: the fetch never goes deeper than that.
ContextValues FetchCarrier(TFile &file, TTree &tree, const std::string &name, Long64_t first, Long64_t entries,
                           const std::string &member, bool mayDerive)
{
   const std::string what = "context branch " + name + " of " + member;
   TBranch *carrier = tree.GetBranch(name.c_str());
   if (!carrier)
      throw Error(what + ": no such branch in tree " + tree.GetName());
   TheReadContext().Add(tree, name);
   // a branch's first entries ascend with its baskets
   const Long64_t k = carrier->GetWriteBasket() > 0
                         ? TMath::BinarySearch(Long64_t(carrier->GetWriteBasket()), carrier->GetBasketEntry(), first)
                         : -1;
   if (k < 0 || carrier->GetBasketEntry()[k] != first || BasketEndEntry(*carrier, Int_t(k)) != first + entries)
      throw Error(what + ": no basket of entries " + std::to_string(first) + "+" + std::to_string(entries));
   const std::string key = ReadCacheKey(file, tree, *carrier, Int_t(k));
   if (ContextValues values = TheCache().Find(key))
      return values;
   const auto key_bytes = ReadKeyBytes(file, carrier->GetBasketSeek(k), carrier->GetBasketBytes()[k]);
   const auto [block, size] = CarrierBlock(key_bytes, what);
   // a damaged block is the carrier's, not the member's being read
   auto undecodable = [&](const std::exception &e) {
      return Error(what + ", basket of entries " + std::to_string(first) + "+" + std::to_string(entries) +
                   ": cannot be decoded: " + e.what());
   };
   baler::codec::BlockContext needs;
   try {
      needs = baler::codec::ReadBlockContext(block, size);
   } catch (const std::exception &e) {
      throw undecodable(e);
   }
   ContextValues source;
   if (needs.needed) {
      // a carrier's block needs at most the entry offsets of its model's first carrier
      if (!mayDerive || !needs.modelId.empty() || needs.offsetsFrom.empty() || needs.offsetsFrom == name ||
          needs.entries != static_cast<std::uint64_t>(entries))
         throw Error(what + ": its block needs " +
                     (needs.modelId.empty() ? "the entry offsets of " + needs.offsetsFrom + " for entries " +
                                                 std::to_string(needs.firstEntry) + "+" + std::to_string(needs.entries)
                                           : "other members' values") +
                     ", not what a basket " + (mayDerive ? "of a member's context" : "whose offsets others derive") +
                     " may need");
      source = FetchCarrier(file, tree, needs.offsetsFrom, first, entries, name, false);
   }
   ContextValues values;
   try {
      values = std::make_shared<const baler::codec::ContextBasket>(
         baler::codec::DecodeContextBasket(block, size, source ? &source->ints : nullptr));
   } catch (const std::exception &e) {
      throw undecodable(e);
   }
   gContextBasketsFetched.fetch_add(1, std::memory_order_relaxed);
   TheCache().Put(key, values);
   return values;
}

} // namespace

Int_t BasketIndexAt(const TBranch &branch, Long64_t seek)
{
   // TBranch::GetEntry sets the basket it reads before reading it: checked, not trusted
   const Int_t reading = branch.GetReadBasket();
   if (reading >= 0 && reading < branch.GetWriteBasket() && branch.GetBasketSeek(reading) == seek)
      return reading;
   for (Int_t i = 0; i < branch.GetWriteBasket(); ++i)
      if (branch.GetBasketSeek(i) == seek)
         return i;
   return -1;
}

Long64_t BasketEndEntry(const TBranch &branch, Int_t index)
{
   // Where the next basket starts, for the last written one too: the start of the basket in
   // memory. GetEntries() counts that basket's entries while the tree is filled (a tree read while
   // it is written, or extended in UPDATE mode), and the members of the last written basket failed
   // to read. GetEntries() only where the table holds no later start.
   if (index + 1 < branch.GetMaxBaskets() && branch.GetBasketEntry()[index + 1] > branch.GetBasketEntry()[index])
      return branch.GetBasketEntry()[index + 1];
   return branch.GetEntries();
}

std::unique_ptr<MemberWrite> PrepareMemberWrite(TBasket &basket, const baler::codec::Model &model)
{
   TBranch *branch = basket.GetBranch();
   TFile *file = branch ? branch->GetFile() : nullptr;
   if (!file || !model.IsObjectModel())
      return nullptr;
   const Int_t where = branch->GetListOfBaskets()->IndexOf(&basket);
   if (where < 0)
      return nullptr;
   const Long64_t first = branch->GetBasketEntry()[where];
   // the tree object too: two live trees of one path (two trees made under one name in one
   // directory, written as its cycles) filled in turn, a member of the second, written before its
   // carriers, took the first's carrier values of the same entries, and could never be read
   const TTree *tree = branch->GetTree();
   const std::string treeKey =
      TreeKey(*file, *tree) + "\n@" + std::to_string(reinterpret_cast<std::uintptr_t>(tree));
   const std::uint64_t generation = TheWriteGenerations().For(treeKey, branch->GetName(), first);
   const std::string generationKey = treeKey + "\n#" + std::to_string(generation);
   auto write = PrepareMemberWriteIn(generationKey, branch->GetName(), first, basket.GetNevBuf(), model);
   if (write && write->carrier)
      write->lineage = generationKey + '\n' + branch->GetName();
   return write;
}

std::unique_ptr<MemberWrite> PrepareMemberWrite(TFile &file, const TTree &tree, const std::string &branch,
                                                Long64_t first, Long64_t entries, const baler::codec::Model &model)
{
   // `baler compress` writes each tree once, into a new file
   return PrepareMemberWriteIn(TreeKey(file, tree), branch, first, entries, model);
}

void EndWriteGenerations(TFile &file)
{
   const std::string uuid = UuidOf(file);
   TheWriteGenerations().EndFile(uuid);
   TheCache().EraseFile(uuid); // no basket asks for an ended generation's values
}

std::vector<std::string> WriteContextBranches(const baler::codec::Model &model, const std::string &branch)
{
   std::vector<std::string> names;
   if (!model.IsObjectModel() || !model.ObjectMemberContext(branch, names)) {
      names.clear();
      return names;
   }
   // the basket its entry offsets derive from, too
   const std::string source = model.ObjectOffsetsSource(branch);
   if (!source.empty() && std::find(names.begin(), names.end(), source) == names.end())
      names.push_back(source);
   return names;
}

std::unique_ptr<baler::codec::ContextBasket> CarrierValues(const MemberWrite &write, const unsigned char *blocks,
                                                           std::size_t size, std::size_t objlen)
{
   if (!write.carrier || size <= kRootHeaderSize || !IsBalerBlock(blocks) ||
       kRootHeaderSize + PayloadSize(blocks) != size || DecodedSize(blocks) != objlen)
      return nullptr;
   try {
      return std::make_unique<baler::codec::ContextBasket>(
         baler::codec::DecodeContextBasket(blocks + kRootHeaderSize, PayloadSize(blocks), write.context.offsets));
   } catch (const std::exception &) {
      return nullptr; // (floats and doubles in one basket: no column of values)
   }
}

void FinishCarrierWrite(const MemberWrite &write, const baler::codec::ContextBasket *decodedValues)
{
   if (decodedValues)
      TheCache().Put(write.cacheKey, std::make_shared<const baler::codec::ContextBasket>(*decodedValues), write.lineage);
   else
      TheCache().Erase(write.cacheKey);
}

long long ContextBasketsFetched()
{
   return gContextBasketsFetched.load();
}

long long ContextBasketsCached()
{
   return static_cast<long long>(TheCache().Baskets());
}

bool IsReadContext(const TBranch &branch)
{
   return TheReadContext().Contains(branch);
}

void KeepReadCarrier(const TBasket &basket, Long64_t seek, std::size_t objlen, ContextValues values)
{
   TBranch *branch = basket.GetBranch();
   TFile *file = branch ? branch->GetFile() : nullptr;
   // one block that decoded the whole basket, at a seek of this branch: exactly what a member's
   // fetch would decode (FetchCarrier)
   if (!file || objlen != static_cast<std::size_t>(basket.GetObjlen()))
      return;
   const Int_t index = BasketIndexAt(*branch, seek);
   if (index < 0)
      return;
   TheCache().Put(ReadCacheKey(*file, *branch->GetTree(), *branch, index), std::move(values));
}

FetchedContext FetchContext(TBasket *reading, Long64_t seek, const baler::codec::BlockContext &needs)
{
   TBranch *branch = reading ? reading->GetBranch() : nullptr;
   TFile *file = branch ? branch->GetFile() : nullptr;
   const std::string member = needs.member.empty() ? std::string("with derived entry offsets") : needs.member;
   if (!file)
      throw NotTheReadingBasket("block of member " + member + " decoded without a basket of a file to fetch its " +
                                "context from");
   const Int_t index = BasketIndexAt(*branch, seek);
   if (index < 0)
      throw Error("the basket at " + std::to_string(seek) + " is not among branch " + branch->GetName() + "'s");
   const Long64_t first = branch->GetBasketEntry()[index];
   const Long64_t entries = BasketEndEntry(*branch, index) - first;
   // A block records the entries it was written for, but a fast merge (hadd -fk, TChain::Merge with
   // "fast") moves every basket of a tree by the same number of entries: the context is found at
   // the reading basket's own entries, and only the member and the number of entries must match.
   // (A context that is not the writer's fails the block's checksum.) A block that only derives its
   // entry offsets names no member.
   if ((!needs.member.empty() && needs.member != branch->GetName()) || needs.entries != static_cast<std::uint64_t>(entries))
      throw NotTheReadingBasket("block of member " + member + ", entries " + std::to_string(needs.firstEntry) + "+" +
                                std::to_string(needs.entries) + ", in the basket of branch " + branch->GetName() +
                                ", entries " + std::to_string(first) + "+" + std::to_string(entries));
   TTree &tree = *branch->GetTree();
   FetchedContext context;
   // the offsets source first: the context baskets that derive their offsets find it cached
   if (!needs.offsetsFrom.empty()) {
      if (needs.offsetsFrom == branch->GetName())
         throw Error(std::string("branch ") + branch->GetName() + " derives its entry offsets from itself");
      context.offsets = FetchCarrier(*file, tree, needs.offsetsFrom, first, entries, branch->GetName(), false);
   }
   for (const auto &name : needs.context) {
      if (name == needs.member)
         throw Error("member " + needs.member + " is its own context");
      context.values.push_back(FetchCarrier(*file, tree, name, first, entries, needs.member, true));
   }
   return context;
}

} // namespace Baler::Internal
