"""The HTML report in a real browser.

Renders a saved result with `sinkkit report --format html`, loads it in
headless Chromium (filters preset from the address) and reads the rendered
DOM back: the rule table, the filter script's effect, a failure's timeline,
and that sink-supplied markup stayed text.

Usage: html_in_browser_test.py SINKKIT_BINARY RESULT.json [unittest args]
"""

import html.parser
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SINKKIT = None
RESULT = None


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Dom(html.parser.HTMLParser):
    """Collects what the assertions need from the rendered DOM."""

    def __init__(self):
        super().__init__()
        self.rows = {}        # rule id -> (status, style)
        self.svgs = []        # attrs of each svg.timeline
        self.rects = 0        # timeline boxes
        self.scripts = 0
        self.in_article = None
        self.article_svgs = {}  # article id -> timelines inside
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "script":
            self.scripts += 1
        if tag == "tr" and "rule" in classes:
            self.rows[a.get("data-rule")] = (a.get("data-status"), a.get("style") or "")
        if tag == "article":
            self.in_article = a.get("id")
            self.article_svgs[self.in_article] = 0
        if tag == "svg" and "timeline" in classes:
            self.svgs.append(a)
            if self.in_article:
                self.article_svgs[self.in_article] += 1
        if tag == "rect" and "ev" in classes:
            self.rects += 1

    def handle_endtag(self, tag):
        if tag == "article":
            self.in_article = None

    def handle_data(self, data):
        self.text.append(data)


class HtmlInChromium(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.chromium = find_chromium()
        if cls.chromium is None:
            raise RuntimeError("no Chromium found (chromium, chromium-browser): install the Debian package "
                               "'chromium' (scripts/setup.sh does), or configure with -DSINKKIT_BROWSER_TESTS=OFF")
        cls.tmp = tempfile.mkdtemp(prefix="sinkkit-html-")
        cls.page = os.path.join(cls.tmp, "report.html")
        r = subprocess.run([SINKKIT, "report", RESULT, "--format", "html", "-o", cls.page],
                           capture_output=True, text=True, timeout=120)
        # The sample run is not conformant: exit 1, and the page written.
        assert r.returncode == 1, (r.returncode, r.stderr)
        assert os.path.exists(cls.page), r.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def render(self, fragment=""):
        # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
        r = subprocess.run([self.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--user-data-dir=" + os.path.join(self.tmp, "profile"), "--dump-dom",
                            "file://" + self.page + fragment],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        dom = Dom()
        dom.feed(r.stdout)
        self.assertTrue(dom.rows, "no rule table in the rendered page:\n" + r.stdout[:2000])
        return dom

    def test_the_rule_table_has_every_rule_with_its_verdict(self):
        dom = self.render()
        self.assertEqual(dom.rows["SK-1.1"][0], "passed")
        self.assertEqual(dom.rows["SK-2.3"][0], "failed")
        self.assertEqual(dom.rows["SK-4.2"][0], "warning")
        self.assertEqual(dom.rows["SK-3.1"][0], "allowed")
        self.assertEqual(dom.rows["SK-3.5"][0], "untested")
        self.assertEqual(dom.rows["SK-6.1"][0], "not_applicable", "labelled apart from untested")
        for rule, (_, style) in dom.rows.items():
            self.assertNotIn("none", style, rule + " hidden with no filter set")

    def test_a_failure_is_drawn_as_a_timeline_of_workers_and_epochs(self):
        dom = self.render()
        self.assertEqual(dom.article_svgs.get("r0-SK-2-3"), 1, dom.article_svgs)
        svg = dom.svgs[0]
        self.assertEqual(svg.get("data-lanes"), "2")
        self.assertEqual(svg.get("data-epochs"), "2")
        self.assertEqual(dom.rects, int(svg.get("data-events")))

    def test_the_status_filter_hides_the_other_rows(self):
        dom = self.render("#status=failed")
        self.assertNotIn("none", dom.rows["SK-2.3"][1])
        for rule in ("SK-1.1", "SK-4.2", "SK-3.1", "SK-3.5"):
            self.assertIn("display: none", dom.rows[rule][1], rule)

    def test_sink_markup_stays_text(self):
        dom = self.render()
        self.assertEqual(dom.scripts, 1, "only the report's own script element")
        self.assertIn("<script>alert('x')</script>", "".join(dom.text))


if __name__ == "__main__":
    SINKKIT, RESULT = sys.argv[1], sys.argv[2]
    del sys.argv[1:3]
    unittest.main()
