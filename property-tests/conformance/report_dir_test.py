"""SINKKIT_REPORT_DIR under CTest: each rule runs in a process of its own, in
parallel, and their results must add up to one report per suite (none
overwriting another), with the allow-list (SINKKIT_ALLOW_LIST) applied.

Usage: report_dir_test.py CONFORMANCE_BINARY [unittest args]
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

BINARY = None
RULES = ["SK_1_1", "SK_2_1", "SK_2_3", "SK_3_1", "SK_3_2", "SK_2_5"]


class ReportDir(unittest.TestCase):
    def run_rule(self, rule, env):
        return subprocess.Popen([BINARY, f"--gtest_filter=Conformance/MemorySink.{rule}_*", "--gtest_brief=1"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def test_per_rule_processes_merge_into_one_report(self):
        with tempfile.TemporaryDirectory() as tmp:
            allow = os.path.join(tmp, "allow.json")
            with open(allow, "w") as f:
                json.dump({"allow": [{"rule": "SK-4.1", "sink": "MemorySink", "reason": "unused entry"}]}, f)
            env = dict(os.environ, SINKKIT_REPORT_DIR=tmp, SINKKIT_SEED="5", SINKKIT_BUDGET="10",
                       SINKKIT_ALLOW_LIST=allow)
            procs = [self.run_rule(rule, env) for rule in RULES]  # all at once, as ctest -j would
            for p in procs:
                out = p.communicate(timeout=300)[0]
                self.assertEqual(p.returncode, 0, out)
            with open(os.path.join(tmp, "MemorySink.json"), encoding="utf-8") as f:
                report = json.load(f)
            ids = [r["id"] for r in report["rules"]]
            self.assertEqual(sorted(ids), sorted(r.replace("_", "-", 1).replace("_", ".") for r in RULES))
            self.assertEqual(ids, sorted(ids, key=lambda i: [int(x) for x in i[3:].split(".")]), "catalogue order")
            self.assertEqual(report["exit_code"], 0)


if __name__ == "__main__":
    BINARY = sys.argv[1]
    del sys.argv[1]
    unittest.main()
