import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from wordcount import word_counts  # noqa: E402


class WordCountTest(unittest.TestCase):
    def test_counts_case_insensitively(self):
        self.assertEqual(word_counts("The cat and the hat")["the"], 2)

    def test_empty_text(self):
        self.assertEqual(sum(word_counts("").values()), 0)


if __name__ == "__main__":
    unittest.main()
