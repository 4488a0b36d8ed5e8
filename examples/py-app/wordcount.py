"""Counts words in text, case-insensitively."""
import re
from collections import Counter


def word_counts(text: str) -> Counter:
    return Counter(re.findall(r"[a-z']+", text.lower()))
