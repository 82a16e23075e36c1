#!/usr/bin/env python3
"""A small deterministic plain-text corpus for the shell tests: documents
separated by blank lines, one sentence per line.
Usage: make_text_corpus.py OUT_FILE [DOCUMENTS] [SEED]"""
import random
import sys

out = sys.argv[1]
documents = int(sys.argv[2]) if len(sys.argv) > 2 else 60
random.seed(int(sys.argv[3]) if len(sys.argv) > 3 else 5)
words = "the cat sat on a mat and dog ran to red house with blue door".split()
with open(out, "w") as f:
    for _ in range(documents):
        for _ in range(6):
            f.write(" ".join(random.choice(words) for _ in range(9)) + ".\n")
        f.write("\n")
