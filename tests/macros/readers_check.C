// Reads one float array branch of two files with TTreeReader and with TTree::Draw and checks the
// second against the first within a relative bound. Prints
// "readers_check: VALUES READER_WORST DRAWN DRAW_WORST" (worst = largest |b-a|/|a|).
#include "TFile.h"
#include "TTree.h"
#include "TTreeReader.h"
#include "TTreeReaderArray.h"

#include <algorithm>
#include <cmath>
#include <memory>
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

std::vector<double> ReadWithDraw(TFile &file, const char *tree, const char *branch)
{
   auto *t = file.Get<TTree>(tree);
   t->SetEstimate(t->GetEntries() * 100);
   const Long64_t drawn = t->Draw(branch, "", "goff");
   return std::vector<double>(t->GetV1(), t->GetV1() + std::max<Long64_t>(drawn, 0));
}

template <typename T>
double Worst(const std::vector<T> &a, const std::vector<T> &b)
{
   if (a.size() != b.size() || a.empty())
      return 1e300;
   double worst = 0;
   for (size_t i = 0; i < a.size(); ++i)
      if (a[i] != 0)
         worst = std::max(worst, std::fabs(double(b[i]) - double(a[i])) / std::fabs(double(a[i])));
      else if (b[i] != 0)
         return 1e300;
   return worst;
}

} // namespace

int readers_check(const char *pathA, const char *pathB, const char *tree, const char *branch)
{
   std::unique_ptr<TFile> a(TFile::Open(pathA)), b(TFile::Open(pathB));
   const auto readerA = ReadWithReader(*a, tree, branch), readerB = ReadWithReader(*b, tree, branch);
   const auto drawA = ReadWithDraw(*a, tree, branch), drawB = ReadWithDraw(*b, tree, branch);
   printf("readers_check: %zu %.6e %zu %.6e\n", readerB.size(), Worst(readerA, readerB), drawB.size(),
          Worst(drawA, drawB));
   return 0;
}
