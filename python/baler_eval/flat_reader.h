// Reads the values of chosen branches of a TTree over an entry range, flattened, for baler eval.
//
// TTreeFormula evaluates any branch the way TTree::Draw does: scalars, leaf arrays `x[n]/F`,
// std::vector and ROOT::VecOps::RVec of numbers, members of split classes. Every value comes back
// as a double (exact for float and for integers up to 2^53), with the number of values of each
// entry, so jagged branches can be flattened and still be split back into events; the values of
// 64-bit integer branches, which a double would round, come back as their 64 bits.
#ifndef BALER_EVAL_FLAT_READER_H
#define BALER_EVAL_FLAT_READER_H

#include <TBranch.h>
#include <TBranchElement.h>
#include <TClass.h>
#include <TLeaf.h>
#include <TError.h>
#include <TTree.h>
#include <TTreeFormula.h>
#include <TVirtualCollectionProxy.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace BalerEval {

/// ROOT warns once per class of a file it has no dictionary for, as the file is opened: 64 lines
/// on atlas/PHYSLITE_example.root. Eval reads numbers through TTreeFormula and needs none of them:
/// the classes are kept here, and eval names them in one line (NoDictionaryClasses). Baler's marker
/// classes still warn, since their warning names the library a reader lacks (Baler/FileMarker.h).
inline std::vector<std::string> &NoDictionaryClasses()
{
   static std::vector<std::string> classes;
   return classes;
}

/// ROOT's error handler before eval's own (CollectNoDictionaryWarnings).
inline ErrorHandlerFunc_t &RootHandler()
{
   static ErrorHandlerFunc_t handler = nullptr;
   return handler;
}

/// The first error ROOT reported on this thread since it was cleared: where a basket cannot be read,
/// the plugin says why there ("corrupt Baler block ...: checksum mismatch"), and eval's one error
/// line names it.
inline std::string &FirstRootError()
{
   static thread_local std::string first;
   return first;
}

/// ROOT's errors (level, location, message) while this thread reads an entry: a basket that cannot
/// be read gave three lines (the plugin's cause, then TBasket's and TBranch's) before eval's own,
/// which names the first. They are printed only where the read succeeds after all (HeldReadErrors).
struct HeldError {
   int level;
   std::string location, message;
};

/// Null while no entry is being read; otherwise where this thread holds the errors of its read.
inline std::vector<HeldError> *&HeldReadErrors()
{
   static thread_local std::vector<HeldError> *held = nullptr;
   return held;
}

inline void CollectNoDictionaryWarnings()
{
   if (RootHandler())
      return;
   RootHandler() = SetErrorHandler([](int level, Bool_t abort, const char *location, const char *message) {
      const std::string text = message ? message : "";
      if (level >= kError && FirstRootError().empty())
         FirstRootError() = text;
      if (level >= kError && !abort && HeldReadErrors()) {
         HeldReadErrors()->push_back({level, location ? location : "", text});
         return;
      }
      const std::string prefix = "no dictionary for class ";
      if (level == kWarning && location && std::string(location) == "TClass::Init" && text.rfind(prefix, 0) == 0 &&
          text.compare(prefix.size(), 7, "Baler::") != 0) {
         const std::string name = text.substr(prefix.size());
         NoDictionaryClasses().push_back(name.substr(0, name.find(' ')));
         return;
      }
      RootHandler()(level, abort, location, message);
   });
}

/// Whether `branch` is a leaf list (`a/F:b/D:n/I`, a "struct" to `baler inspect`): a formula of
/// the branch reads its first leaf alone, so each leaf is compared as `branch.leaf`.
inline bool IsLeafList(TBranch &branch)
{
   return branch.IsA() == TBranch::Class() && branch.GetListOfLeaves()->GetEntriesFast() > 1;
}

/// The leaves of the leaf list `name`, as "name.leaf" and their types; none for another branch.
inline std::vector<std::pair<std::string, std::string>> LeafListColumns(TTree *tree, const std::string &name)
{
   std::vector<std::pair<std::string, std::string>> columns;
   TBranch *branch = tree->GetBranch(name.c_str());
   if (branch && IsLeafList(*branch))
      for (auto *leaf : TRangeDynCast<TLeaf>(branch->GetListOfLeaves()))
         columns.emplace_back(name + "." + leaf->GetName(), leaf->GetTypeName());
   return columns;
}

/// The branch that holds `name`: the branch of that name, or the leaf list of a "branch.leaf".
inline TBranch *HoldingBranch(TTree *tree, const std::string &name)
{
   if (TBranch *branch = tree->GetBranch(name.c_str()))
      return branch;
   const auto dot = name.rfind('.');
   TBranch *list = dot == std::string::npos ? nullptr : tree->GetBranch(name.substr(0, dot).c_str());
   return list && IsLeafList(*list) && list->GetListOfLeaves()->FindObject(name.substr(dot + 1).c_str()) ? list
                                                                                                        : nullptr;
}

/// The one leaf of a plain branch, read directly where TTreeFormula cannot name it: it parses a
/// name as an expression, and `x-y` or `f_rel1e-3` (leaves of tests/fixtures/v1/specs.root) was a
/// subtraction that named no branch (a damaged-input sweep found them never compared); else null.
inline TLeaf *SingleLeaf(TBranch *branch)
{
   if (!branch || branch->IsA() != TBranch::Class() || branch->GetListOfLeaves()->GetEntriesFast() != 1)
      return nullptr;
   return static_cast<TLeaf *>(branch->GetListOfLeaves()->At(0));
}

/// TTreeFormula's reading of `name` in `tree`, made without ROOT printing why it cannot read it.
inline std::unique_ptr<TTreeFormula> QuietFormula(TTree *tree, const std::string &name)
{
   const Int_t previous = gErrorIgnoreLevel;
   gErrorIgnoreLevel = kFatal;
   auto formula = std::make_unique<TTreeFormula>(name.c_str(), name.c_str(), tree);
   gErrorIgnoreLevel = previous;
   return formula;
}

/// Whether `formula` evaluates the values of `branch`: a plain branch's formula must be its own leaf
/// alone (beside branches x and y, `x-y` is x minus y, and eval judged that difference instead of
/// the branch's values).
inline bool FormulaReadsBranch(const TTreeFormula &formula, TBranch *branch)
{
   const TLeaf *leaf = SingleLeaf(branch);
   return formula.GetNdim() > 0 && (!leaf || (formula.GetNcodes() == 1 && formula.GetLeaf(0) == leaf));
}

/// Whether the branch holds its values itself (no sub-branches: a split object's data is in its
/// sub-branches, which are compared one by one) and TTreeFormula, or its single leaf, reads it.
inline bool Readable(TTree *tree, const std::string &name)
{
   TBranch *branch = HoldingBranch(tree, name);
   if (!branch || branch->GetListOfBranches()->GetEntriesFast() > 0)
      return false;
   // The count of a split collection (types 3, 4) without its members, whose class has no
   // dictionary (ATLAS's DataVector<xAOD::...> in atlas/uproot-issue-123b.root, listed as Int_t):
   // TTreeFormula reads numbers from it that differ between two byte-identical copies.
   if (auto *element = dynamic_cast<TBranchElement *>(branch))
      if ((element->GetType() == 3 || element->GetType() == 4) &&
          (!element->GetClass() || !element->GetClass()->IsLoaded()))
         return false;
   return FormulaReadsBranch(*QuietFormula(tree, name), branch) || SingleLeaf(branch);
}

/// The proxies of a branch that holds a collection of collections (`vector<vector<float>>`, ATLAS's
/// covariance rows and sampling energies), outer then inner; nulls for any other branch.
/// TTreeFormula flattens such an entry, and its inner sizes are read from the object (Shapes).
inline std::pair<TVirtualCollectionProxy *, TVirtualCollectionProxy *> NestedProxies(TBranch *branch)
{
   auto *element = dynamic_cast<TBranchElement *>(branch);
   TClass *outer = element && element->GetListOfBranches()->GetEntriesFast() == 0 ? element->GetClass() : nullptr;
   TVirtualCollectionProxy *outerProxy = outer ? outer->GetCollectionProxy() : nullptr;
   TClass *inner = outerProxy ? outerProxy->GetValueClass() : nullptr;
   TVirtualCollectionProxy *innerProxy = inner ? inner->GetCollectionProxy() : nullptr;
   if (!innerProxy)
      return {nullptr, nullptr};
   return {outerProxy, innerProxy};
}

/// Closing a file deletes its trees, and each branch element the objects ROOT made to read it.
/// For a class without a dictionary here (emulated, as ATLAS's xAOD classes) that deletion can
/// abort the process ("free(): invalid pointer" in TStreamerInfo::DestructorImpl, found closing
/// atlas/uproot-issue-123b.root after reading it). Such objects are left to the end of the process.
struct ObjectOwnership : TBranchElement {
   /// The branch element no longer owns (and so never deletes) the object it reads into.
   static void Disown(TBranchElement &element) { static_cast<ObjectOwnership &>(element).ResetBit(kDeleteObject); }
};

inline void KeepEmulatedObjects(TTree *tree)
{
   TIter next(tree->GetListOfLeaves());
   while (auto *leaf = static_cast<TLeaf *>(next()))
      for (TBranch *branch = leaf->GetBranch(); branch; branch = branch->GetMother() == branch ? nullptr : branch->GetMother())
         if (auto *element = dynamic_cast<TBranchElement *>(branch))
            if (TClass *cl = element->GetClass(); cl && !cl->IsLoaded())
               ObjectOwnership::Disown(*element);
}

class FlatReader {
public:
   /// `wideIntegers`: the branches among `branchNames` that hold 64-bit integers.
   FlatReader(TTree *tree, const std::vector<std::string> &branchNames, const std::vector<std::string> &wideIntegers)
      : fTree(tree)
   {
      for (const auto &name : branchNames) {
         fWide.push_back(std::find(wideIntegers.begin(), wideIntegers.end(), name) != wideIntegers.end());
         TBranch *branch = HoldingBranch(tree, name);
         std::unique_ptr<TTreeFormula> formula = QuietFormula(tree, name);
         TLeaf *leaf = nullptr;
         if (branch && FormulaReadsBranch(*formula, branch)) {
            formula->SetQuickLoad(true);
         } else if ((leaf = SingleLeaf(branch))) {
            formula.reset();
         } else {
            throw std::runtime_error("cannot read branch '" + name + "' of tree '" + tree->GetName() + "'");
         }
         fBranches.push_back(branch);
         fFormulas.push_back(std::move(formula));
         fLeaves.push_back(leaf);
         fNested.push_back(NestedProxies(branch));
      }
      fValues.resize(branchNames.size());
      fIntegers.resize(branchNames.size());
      fCounts.resize(branchNames.size());
      fShapes.resize(branchNames.size());
   }

   /// Reads entries [first, last); throws when ROOT fails to read a basket.
   void Read(Long64_t first, Long64_t last)
   {
      for (auto &values : fValues)
         values.clear();
      for (auto &integers : fIntegers)
         integers.clear();
      for (auto &counts : fCounts)
         counts.clear();
      for (auto &shapes : fShapes)
         shapes.clear();
      for (Long64_t entry = first; entry < last; ++entry) {
         const Long64_t local = fTree->LoadTree(entry);
         if (local < 0)
            throw std::runtime_error("cannot load entry " + std::to_string(entry) + " of tree '" + fTree->GetName() + "'");
         for (size_t i = 0; i < fFormulas.size(); ++i) {
            // Reading the branch first turns a bad basket into an error instead of stale values.
            FirstRootError().clear();
            std::vector<HeldError> held;
            HeldReadErrors() = &held;
            const Int_t read = fBranches[i]->GetEntry(local);
            HeldReadErrors() = nullptr;
            if (read >= 0 && RootHandler())
               for (const HeldError &error : held)
                  RootHandler()(error.level, kFALSE, error.location.c_str(), error.message.c_str());
            if (read < 0) {
               const std::string cause = FirstRootError();
               throw std::runtime_error(std::string("tree '") + fTree->GetName() + "', branch '" +
                                        fBranches[i]->GetName() + "', entry " + std::to_string(entry) +
                                        " cannot be read" + (cause.empty() ? "" : ": " + cause));
            }
            if (TLeaf *leaf = fLeaves[i]) {
               // (its length is its count leaf's value times its fixed dimensions: that is read too)
               if (TLeaf *count = leaf->GetLeafCount(); count && count->GetBranch()->GetEntry(local) < 0)
                  throw std::runtime_error(std::string("tree '") + fTree->GetName() + "', branch '" +
                                           count->GetBranch()->GetName() + "', entry " + std::to_string(entry) +
                                           " cannot be read");
               const int n = leaf->GetLen();
               fCounts[i].push_back(n);
               for (int j = 0; j < n; ++j) {
                  if (fWide[i])
                     fIntegers[i].push_back(leaf->GetValueLong64(j));
                  else
                     fValues[i].push_back(leaf->GetValue(j));
               }
               continue;
            }
            if (fNested[i].first)
               fShapes[i].push_back(Shape(i));
            TTreeFormula &formula = *fFormulas[i];
            const int n = formula.GetNdata();
            fCounts[i].push_back(n);
            for (int j = 0; j < n; ++j) {
               if (fWide[i])
                  fIntegers[i].push_back(formula.EvalInstance64(j)); // an unsigned value's bits, as signed
               else
                  fValues[i].push_back(formula.EvalInstance(j));
            }
         }
      }
   }

   const std::vector<double> &Values(size_t i) const { return fValues.at(i); }
   /// The values of a 64-bit integer branch (empty for the others).
   const std::vector<Long64_t> &Integers(size_t i) const { return fIntegers.at(i); }
   const std::vector<int> &Counts(size_t i) const { return fCounts.at(i); }
   /// Per entry of a collection of collections, a hash of its inner sizes (empty for the others):
   /// `[[1, 2], [3]]` and `[[1], [2, 3]]` flatten to the same values and count.
   const std::vector<ULong64_t> &Shapes(size_t i) const { return fShapes.at(i); }

private:
   /// FNV-1a of the outer size and each inner size of branch `i`'s object, read by GetEntry.
   ULong64_t Shape(size_t i) const
   {
      ULong64_t hash = 14695981039346656037ull;
      const auto mix = [&hash](ULong64_t value) { hash = (hash ^ value) * 1099511628211ull; };
      auto [outer, inner] = fNested[i];
      void *object = static_cast<TBranchElement *>(fBranches[i])->GetObject();
      if (!object)
         return hash;
      TVirtualCollectionProxy::TPushPop outerScope(outer, object);
      const UInt_t size = outer->Size();
      mix(size);
      for (UInt_t k = 0; k < size; ++k) {
         TVirtualCollectionProxy::TPushPop innerScope(inner, outer->At(k));
         mix(inner->Size());
      }
      return hash;
   }

   TTree *fTree;
   std::vector<TBranch *> fBranches;
   std::vector<std::unique_ptr<TTreeFormula>> fFormulas; ///< null where fLeaves reads the branch
   std::vector<TLeaf *> fLeaves;                        ///< SingleLeaf, where no formula reads it
   std::vector<std::pair<TVirtualCollectionProxy *, TVirtualCollectionProxy *>> fNested; ///< NestedProxies
   std::vector<std::vector<ULong64_t>> fShapes;
   std::vector<bool> fWide;
   std::vector<std::vector<double>> fValues;
   std::vector<std::vector<Long64_t>> fIntegers;
   std::vector<std::vector<int>> fCounts;
};

} // namespace BalerEval

#endif
