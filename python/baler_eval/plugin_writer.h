// Writes a tree again through libBalerROOT, for the ladder's `ae:` rung of baler eval.
//
// `baler compress` rewrites baskets one by one and so has no other branch's values at hand: it
// codes an object model's members per value. ROOT writing a tree entry by entry does have them
// (the plugin keeps the decoded carriers of the entries it has just written), so a collection's
// members are coded with their context only when the tree is written by ROOT with the plugin.
#ifndef BALER_EVAL_PLUGIN_WRITER_H
#define BALER_EVAL_PLUGIN_WRITER_H

#include "Baler/Baler.h"

#include <TBranch.h>
#include <TDirectory.h>
#include <TFile.h>
#include <TTree.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace BalerEval {

/// Copies tree `treePath` (name, or dir/name) of `inPath` entry by entry into `out`. Branch
/// `branches[i]` gets Baler::SetCodec(specs[i]); every other branch keeps the compression
/// setting it has in the input, so only the chosen branches change. Returns the entries copied.
inline Long64_t CopyTreeWithCodecs(const std::string &inPath, TFile &out, const std::string &treePath,
                                   const std::vector<std::string> &branches, const std::vector<std::string> &specs)
{
   if (branches.size() != specs.size())
      throw std::invalid_argument("CopyTreeWithCodecs: one spec per branch");
   std::unique_ptr<TFile> in(TFile::Open(inPath.c_str(), "READ"));
   if (!in || in->IsZombie())
      throw std::runtime_error("cannot open '" + inPath + "' with ROOT");
   auto *tree = in->Get<TTree>(treePath.c_str());
   if (!tree)
      throw std::runtime_error("'" + inPath + "' has no tree '" + treePath + "'");
   const auto slash = treePath.rfind('/');
   TDirectory *directory = &out;
   if (slash != std::string::npos) {
      const std::string folder = treePath.substr(0, slash);
      directory = out.GetDirectory(folder.c_str()) ? out.GetDirectory(folder.c_str()) : out.mkdir(folder.c_str(), "", true);
   }
   directory->cd();
   TTree *copy = tree->CloneTree(0);
   for (auto *branch : TRangeDynCast<TBranch>(copy->GetListOfBranches()))
      if (TBranch *source = tree->GetBranch(branch->GetName()))
         branch->SetCompressionSettings(source->GetCompressionSettings());
   for (std::size_t i = 0; i < branches.size(); ++i) {
      TBranch *branch = copy->GetBranch(branches[i].c_str());
      if (!branch)
         throw std::runtime_error("tree '" + treePath + "' has no branch '" + branches[i] + "'");
      Baler::SetCodec(branch, Baler::Codec::Parse(specs[i]));
   }
   copy->CopyEntries(tree);
   const Long64_t copied = copy->GetEntries();
   if (copied != tree->GetEntries())
      throw std::runtime_error("copied " + std::to_string(copied) + " of the " + std::to_string(tree->GetEntries()) +
                               " entries of '" + treePath + "'");
   copy->Write();
   delete copy;
   return copied;
}

} // namespace BalerEval

#endif
