// Reads one float array branch of two files with TTreeReader and with TTree::Draw and judges
// the second file's values against the first's under `spec` (baler_bounds.h), value by value in
// order. Prints "readers_check reader: VALUES CHANGED MUST BAD UNROUNDED" and the same for
// "draw" (baler_bounds.h's Tally); a difference in the number of values read counts as BAD.
#include "baler_bounds.h"

#include "TFile.h"
#include "TTree.h"
#include "TTreeReader.h"
#include "TTreeReaderArray.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace {

std::vector<float> ReadWithReader(TFile &file, const char *tree, const char *branch)
{
   TTreeReader reader(tree, &file);
   TTreeReaderArray<float> values(reader, branch);
   std::vector<float> all;
   while (reader.Next())
      all.insert(all.end(), values.begin(), values.end());
   return reader.GetEntryStatus() == TTreeReader::kEntryBeyondEnd ? all : std::vector<float>{};
}

/// TTree::Draw's values, which it hands out as doubles, back as the floats they were.
std::vector<float> ReadWithDraw(TFile &file, const char *tree, const char *branch)
{
   auto *t = file.Get<TTree>(tree);
   t->SetEstimate(t->GetEntries() * 100);
   const Long64_t drawn = t->Draw(branch, "", "goff");
   std::vector<float> values;
   for (Long64_t i = 0; i < drawn; ++i)
      values.push_back(static_cast<float>(t->GetV1()[i]));
   return values;
}

BalerTest::Tally Judge(const BalerTest::Spec &spec, const std::vector<float> &a, const std::vector<float> &b)
{
   BalerTest::Tally tally;
   if (a.size() != b.size() || a.empty()) {
      tally.bad = 1 + std::max(a.size(), b.size());
      return tally;
   }
   for (size_t i = 0; i < a.size(); ++i)
      tally.Add(spec, a[i], b[i]);
   return tally;
}

} // namespace

int readers_check(const char *pathA, const char *pathB, const char *tree, const char *branch, const char *spec)
{
   const BalerTest::Spec parsed = BalerTest::Spec::Parse(spec);
   if (parsed.kind == BalerTest::Spec::kInvalid)
      return 1;
   std::unique_ptr<TFile> a(TFile::Open(pathA)), b(TFile::Open(pathB));
   const auto reader = Judge(parsed, ReadWithReader(*a, tree, branch), ReadWithReader(*b, tree, branch));
   const auto draw = Judge(parsed, ReadWithDraw(*a, tree, branch), ReadWithDraw(*b, tree, branch));
   printf("readers_check reader: %s\n", reader.Numbers().c_str());
   printf("readers_check draw: %s\n", draw.Numbers().c_str());
   return 0;
}
