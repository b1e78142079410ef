#!/usr/bin/env python3
"""Writes the stored records of every basket of a tree (the bytes after each basket's key, as ROOT
reads them before decompressing) to one file, for rust/baler-codec/examples/basket_decode_bench.rs.

    .venv/bin/python bench/dump_baskets.py FILE.root OUT.baskets [--tree Events]

Each record is written as [u32 decoded length][u32 stored length][stored bytes], little-endian.
"""
import argparse
import struct

import uproot


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("out")
    parser.add_argument("--tree", default="Events")
    args = parser.parse_args()
    raw = open(args.file, "rb").read()
    count = 0
    with open(args.out, "wb") as out:
        for branch in uproot.open(args.file)[args.tree].branches:
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
