"""Tests of figures.py: python3 scripts/lib/figures_test.py"""

import unittest

import figures


class Figures(unittest.TestCase):
    def test_a_typed_figure_is_refused(self):
        with self.assertRaisesRegex(figures.FiguresError, "line 1: a figure"):
            figures.check("now about 1.25× diesel_migrations", set(), "notes")

    def test_measured_quoted_code_words_and_list_numbers_pass(self):
        text = ("1. {{rebuild.ratio}} now, was {{First: 2.23×}} (`opt-level = 3`, SHA-256)\n"
                "[First]: the first run, 2026-11-22, commit `643eab9`\n")
        figures.check(text, {"rebuild.ratio"}, "notes")
        out = figures.render(text, {"rebuild.ratio": "1.12×"}, "notes")
        self.assertIn("1.12× now, was 2.23× [First]", out)
        self.assertIn("- [First] the first run, 2026-11-22", out)

    def test_a_figure_the_run_lacks_says_so(self):
        out = figures.render("{{n}} revisions", {"n": None}, "notes")
        self.assertEqual(out, "not measured in this run revisions")

    def test_unknown_names_and_sources_are_refused(self):
        for text, message in (("{{nope}}", "not a figure this script measures"),
                              ("{{Q: 3 s}}", "has no source line"),
                              ("[Q]: somewhere", "never used")):
            with self.assertRaisesRegex(figures.FiguresError, message):
                figures.check(text, set(), "notes")

    def test_a_quoted_span_may_cross_lines(self):
        figures.check("{{Q: took minutes (stopped after\n   60 s)}} then\n[Q]: a probe\n", set(), "notes")


if __name__ == "__main__":
    unittest.main()
