"""SINKKIT_REPORT_DIR under CTest: each rule runs in a process of its own, in
parallel, and their results must add up to one report per suite (none
overwriting another), with the allow-list (SINKKIT_ALLOW_LIST) applied. And
a conformance program stopped by a signal keeps what it judged. Shards
(SINKKIT_SHARD) of a program together report what one run does, and the
console line of a passed fault rule says how many cases reached a fault.

Usage: report_dir_test.py CONFORMANCE_BINARY [unittest args]
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
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


class Shards(unittest.TestCase):
    def test_three_shards_report_what_one_run_does(self):
        # SINKKIT_SHARD=i/3 in three programs side by side: each report holds
        # its shard's rules only, and together they are the unsharded run's.
        filt = "--gtest_filter=Conformance/MemorySink.SK_1_*:Conformance/MemorySink.SK_2_*"
        with tempfile.TemporaryDirectory() as tmp:
            runs = {}
            for shard in ("", "1/3", "2/3", "3/3"):
                folder = os.path.join(tmp, shard.replace("/", "-") or "whole")
                env = dict(os.environ, SINKKIT_REPORT_DIR=folder, SINKKIT_SEED="5", SINKKIT_BUDGET="5",
                           SINKKIT_SHARD=shard)
                runs[shard] = (folder, subprocess.Popen([BINARY, filt, "--gtest_brief=1"], env=env,
                                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
            reports = {}
            for shard, (folder, p) in runs.items():
                out = p.communicate(timeout=300)[0]
                self.assertEqual(p.returncode, 0, out)
                with open(os.path.join(folder, "MemorySink.json"), encoding="utf-8") as f:
                    reports[shard] = json.load(f)
        whole = {r["id"]: r["status"] for r in reports[""]["rules"]}
        together = {}
        for shard in ("1/3", "2/3", "3/3"):
            self.assertEqual(reports[shard]["shard"], shard)
            mine = {r["id"]: r["status"] for r in reports[shard]["rules"]}
            self.assertTrue(mine, shard)
            self.assertFalse(set(mine) & set(together), f"{shard} repeats {set(mine) & set(together)}")
            together.update(mine)
        self.assertEqual(together, whole)
        self.assertNotIn("shard", reports[""])


class ConsoleLine(unittest.TestCase):
    def test_a_passed_fault_rule_says_how_many_cases_reached_a_fault(self):
        # The console, not only the report: a pass that reached no fault would be untested.
        env = dict(os.environ, SINKKIT_SEED="5", SINKKIT_BUDGET="5")
        p = subprocess.run([BINARY, "--gtest_filter=Conformance/JsonlFileSink.SK_4_1_*"], env=env, capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"\[ sinkkit  \] SK-4\.1 passed \(5 cases; storage faults by [a-z ]+; [1-9]\d* of 5 "
                                   r"cases reached one\)")


class Interrupted(unittest.TestCase):
    def sigterm_once_running(self, env, running, wait):
        """Runs SK-1.3 and the SK-2 rules of MemorySink with `env`, sends
        SIGTERM `wait` seconds after the RUN line of `running`, checks the exit
        (143, within 10 s) and that SK-2.1, SK-2.2 and SK-2.11 were not run;
        returns the output and the report's rules by id."""
        p = subprocess.Popen([BINARY, "--gtest_filter=Conformance/MemorySink.SK_1_3_*:Conformance/MemorySink.SK_2_*"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = ""
        for line in p.stdout:
            out += line
            if "[ RUN      ] Conformance/MemorySink." + running in line:
                break
        time.sleep(wait)
        signalled = time.monotonic()
        p.send_signal(signal.SIGTERM)
        out += p.communicate(timeout=60)[0]
        self.assertLess(time.monotonic() - signalled, 10, out)
        self.assertEqual(p.returncode, 143, out)
        with open(os.path.join(env["SINKKIT_REPORT_DIR"], "MemorySink.json"), encoding="utf-8") as f:
            report = json.load(f)
        self.assertEqual(report["interrupted"], "SIGTERM")
        self.assertNotEqual(report["exit_code"], 0)
        rules = {r["id"]: r for r in report["rules"]}
        self.assertEqual(rules["SK-1.3"]["status"], "not_applicable", rules["SK-1.3"])  # judged at once
        for rid in ("SK-2.1", "SK-2.2", "SK-2.11"):  # in progress, or not reached
            self.assertEqual(rules[rid]["status"], "untested", rules[rid])
            self.assertIn("not run: the run was interrupted by SIGTERM", rules[rid]["message"])
        return out, rules

    def test_sigterm_mid_rule_writes_the_rules_judged_and_exits_143(self):
        with tempfile.TemporaryDirectory() as tmp:
            # One rule at a time: the test steers by GoogleTest's RUN lines.
            env = dict(os.environ, SINKKIT_REPORT_DIR=tmp, SINKKIT_SEED="5", SINKKIT_JOBS="1")
            # An earlier process of the run (CTest runs a rule per process): judged, kept.
            first = subprocess.run([BINARY, "--gtest_filter=Conformance/MemorySink.SK_1_1_*"],
                                   env=dict(env, SINKKIT_BUDGET="3"), capture_output=True, text=True, timeout=300)
            self.assertEqual(first.returncode, 0, first.stdout)
            # This one: SK-2.1 at a budget that keeps it running until the
            # signal, SK-2.2 onwards not reached.
            out, rules = self.sigterm_once_running(dict(env, SINKKIT_BUDGET="1000000"), "SK_2_1", 0.5)
            self.assertIn("interrupted by SIGTERM", out)
            self.assertEqual(rules["SK-1.1"]["status"], "passed")

    def test_sigterm_while_rules_run_side_by_side_keeps_the_verdicts_reached(self):
        # SINKKIT_JOBS=2: the first test of the suite checks its selected
        # rules two at a time: SK-1.3 at once, then SK-2.1 and SK-2.2, at a
        # budget that never ends, until the signal kills them.
        with tempfile.TemporaryDirectory() as tmp:
            self.sigterm_once_running(dict(os.environ, SINKKIT_REPORT_DIR=tmp, SINKKIT_SEED="5", SINKKIT_JOBS="2",
                                           SINKKIT_BUDGET="1000000"), "SK_1_3", 1.5)

if __name__ == "__main__":
    BINARY = sys.argv[1]
    del sys.argv[1]
    unittest.main()
