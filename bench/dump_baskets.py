#!/usr/bin/env python3
"""Writes the stored records of every basket of a tree (the bytes after each basket's key, as ROOT
reads them before decompressing) to one file, for rust/baler-codec/examples/basket_decode_bench.rs;
or, with --decoded, the decompressed contents of every basket of the branches of one Float_t leaf, for
rust/baler-codec/examples/basket_encode_bench.rs.

    .venv/bin/python bench/dump_baskets.py FILE.root OUT.baskets [--tree Events] [--decoded]

Each record is written as [u32 decoded length][u32 stored length][stored bytes], little-endian;
with --decoded as [u32 data length][u32 decoded length][decoded bytes], where the data (the
basket's values, big-endian, up to fLast) come first and the entry offsets after them.
"""
import argparse
import struct

import uproot


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("out")
    parser.add_argument("--tree", default="Events")
    parser.add_argument("--decoded", action="store_true", help="decompressed baskets of Float_t branches")
    args = parser.parse_args()
    raw = open(args.file, "rb").read()
    count = 0
    with open(args.out, "wb") as out:
        for branch in uproot.open(args.file)[args.tree].branches:
            if args.decoded:
                leaves = branch.member("fLeaves")
                if len(leaves) != 1 or type(leaves[0]).__name__ != "Model_TLeafF_v1":
                    continue  # one Float_t leaf (scalar or array) per branch: what the bench codes
                for i in range(branch.num_baskets):
                    basket = branch.basket(i)
                    # raw_data holds values and entry offsets; without offsets, uproot keeps only data
                    decoded = (basket.data if basket.raw_data is None else basket.raw_data).tobytes()
                    out.write(struct.pack("<II", basket.border, len(decoded)))
                    out.write(decoded)
                    count += 1
                continue
            for seek in branch.member("fBasketSeek")[: branch.num_baskets]:
                seek = int(seek)
                # TKey header: fNbytes, fVersion, fObjlen, fDatime, fKeylen (big-endian)
                nbytes, _, objlen, _, keylen = struct.unpack(">iHiIH", raw[seek:seek + 16])
                record = raw[seek + keylen: seek + nbytes]
                out.write(struct.pack("<II", objlen, len(record)))
                out.write(record)
                count += 1
    print(f"{args.out}: {count} baskets of {args.file}")


if __name__ == "__main__":
    main()
