"""End-to-end tests of the `sinkkit` command on the Python adapter's sinks.

Usage: cli_test.py SINKKIT_BINARY REPO_ROOT [unittest args]
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

SINKKIT = None
ROOT = None
EXAMPLES = None
PY = sys.executable


def write_json(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)
    return path


def sinkkit(*args, timeout=600, env=None):
    return subprocess.run([SINKKIT, *args], capture_output=True, text=True, timeout=timeout, env=env)


def run_with_report(*args, env=None):
    """`sinkkit run ARGS` with --report into a scratch folder: the result and the JSON report (or None)."""
    with tempfile.TemporaryDirectory() as reports:
        r = sinkkit("run", "--report", reports, *args, env=env)
        files = [f for f in os.listdir(reports) if f.endswith(".json")]
        report = None
        if files:
            with open(os.path.join(reports, files[0]), encoding="utf-8") as f:
                report = json.load(f)
    return r, report


def jsonl_sink_variant(test, write_first, preamble=(), close_first="pass", capabilities=None):
    """A copy of the JSON Lines example sink whose write_batch runs the line
    `write_first` before writing (and close the line `close_first`, with
    self.closes the closes before this one), after the module-level lines
    `preamble`, declaring `capabilities`; its file, removed when `test` ends."""
    lines = "\n".join(preamble)
    f = tempfile.NamedTemporaryFile("w", suffix=".py", delete=False)
    f.write(textwrap.dedent(f"""\
        import os, signal, subprocess, sys, time
        sys.path.insert(0, {os.path.join(ROOT, "adapters", "python")!r})
        sys.path.insert(0, {EXAMPLES!r})
        import jsonl_sink
        from sinkkit_adapter import serve
    """) + lines + "\n" + textwrap.dedent(f"""\
        class Part(jsonl_sink.Partition):
            closes = 0
            def write_batch(self, items):
                {write_first}
                super().write_batch(items)
            def close(self):
                {close_first}
                self.closes += 1
                super().close()
        class Node(jsonl_sink.JsonlNode):
            def build_partition(self, config, w, n, bridge=None, session_manager=None):
                jsonl_sink._dir(config)
                return Part(os.path.join(config["dir"], f"part-w{{w}}-{{os.getpid()}}.jsonl"))
        serve(Node(), jsonl_sink.read_back, fields={{"value": "int", "label": "string"}},
              config_template={{"dir": "{{target}}"}}, capabilities={capabilities!r})
    """))
    f.close()
    test.addCleanup(os.unlink, f.name)
    return f.name


class Usage(unittest.TestCase):
    def test_help_lists_the_subcommands(self):
        r = sinkkit("--help")
        self.assertEqual(r.returncode, 0)
        for word in ("run", "replay", "rules", "Exit codes"):
            self.assertIn(word, r.stdout)

    def test_run_help_lists_every_option(self):
        r = sinkkit("run", "--help")
        self.assertEqual(r.returncode, 0)
        for option in ("--seed", "--budget", "--workers", "--layout", "--call-timeout-ms", "--rule-timeout-s",
                       "--max-line-mb", "--config", "--strict", "--rules", "--report", "--report-formats",
                       "--allow-list", "--jobs", "--scratch", "--no-fork-server"):
            self.assertIn(option, r.stdout)

    def test_each_subcommand_has_help_of_its_own(self):
        # What each says of itself, and what only another subcommand's would
        # (replay's once said --seed was "random, printed", copied from run's).
        own = {
            "run": (["sinkkit run [options] -- COMMAND", "default: random, printed", "--rules", "--report"],
                    ["sinkkit replay", "--rule "]),
            "replay": (["sinkkit replay --rule ID --seed N", "--rule", "as the failure printed it (required)",
                        "sinkkit replay --rule SK-4.1 --seed 123 --"],
                       ["random, printed", "sinkkit run", "--report-formats"]),
            "report": (["sinkkit report IN.json", "--format", "--allow-list", "--targets"],
                       ["--seed", "-- COMMAND"]),
            "bench": (["sinkkit bench [options] -- COMMAND", "--batch-sizes", "--baseline"],
                      ["--rule ", "--format"]),
            "rules": (["List the rule catalogue", "--markdown", "--json"], ["--seed", "COMMAND"]),
        }
        for sub, (present, absent) in own.items():
            r = sinkkit(sub, "--help")
            self.assertEqual(r.returncode, 0, sub)
            for text in present:
                self.assertIn(text, r.stdout, (sub, text))
            for text in absent:
                self.assertNotIn(text, r.stdout, (sub, text))

    def test_bad_flags_and_values_exit_2_with_a_message(self):
        for args, words in ((["run", "--bogus", "--", "x"], "--bogus"),
                            (["run", "--budget", "zero", "--", "x"], "--budget"),
                            (["run", "--layout", "sideways", "--", "x"], "sideways"),
                            (["run", "--rules", "SK-9.9", "--", "x"], "SK-9.9"),
                            (["run", "--jobs", "0", "--", "x"], "--jobs"),
                            (["run", "--config", "{not json", "--", "x"], "--config"),
                            (["run", "--scratch", "/nonexistent-sinkkit-dir", "--", "x"], "--scratch"),
                            (["run"], "command"),
                            (["replay", "--rule", "SK-2.3", "--", "x"], "--seed")):
            r = sinkkit(*args)
            self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
            self.assertIn(words, r.stderr, args)

    def test_the_environment_sets_defaults_checked_as_the_flags_are(self):
        r = sinkkit("run", "--help", env=dict(os.environ, SINKKIT_BUDGET="7"))
        self.assertIn("SINKKIT_BUDGET", r.stdout)
        r = sinkkit("run", "--", "x", env=dict(os.environ, SINKKIT_BUDGET="zero"))
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("--budget", r.stderr)
        r = sinkkit("run", "--", "x", env=dict(os.environ, SINKKIT_RULES="SK-9.9"))
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("SK-9.9", r.stderr)

    def test_a_sink_that_cannot_start_is_exit_2(self):
        r = sinkkit("run", "--", "/nonexistent/sink")
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent/sink", r.stderr)

    def test_rules_lists_the_catalogue(self):
        r = sinkkit("rules", "--json")
        self.assertEqual(r.returncode, 0)
        rules = json.loads(r.stdout)
        self.assertGreaterEqual(len(rules), 28)
        self.assertEqual(rules[0]["id"], "SK-1.1")


class Conformance(unittest.TestCase):
    # A small budget: these check the command end to end on whole catalogues
    # (each rule still runs, on a few cases); the main job (scripts/run.sh)
    # runs the same sinks at the full budget.
    def run_suite(self, sink, *extra):
        return run_with_report("--seed", "11", "--budget", "5", *extra, "--", PY, os.path.join(EXAMPLES, sink))

    def test_the_jsonl_example_passes_the_catalogue(self):
        r, report = self.run_suite("jsonl_sink.py")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("0 failed", r.stdout.splitlines()[-1])
        self.assertEqual(report["exit_code"], 0)

    def test_the_sqlite_example_passes_the_catalogue_with_one_process_for_all(self):
        r, report = self.run_suite("sqlite_sink.py", "--layout", "single")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rules = {x["id"]: x for x in report["rules"]}
        # No fault hook: its storage fails under it, through the file system.
        for rule in ("SK-4.1", "SK-4.2", "SK-4.5"):
            self.assertEqual(rules[rule]["status"], "passed", rules[rule])
            self.assertRegex(rules[rule]["message"], r"^storage faults by file system; [1-9]\d* of \d+ cases reached one")
            # The console's line of a passed fault rule says it too, not only the report.
            self.assertRegex(r.stdout, rf"\] {re.escape(rule)} [^\n]*: passed \(\d+ cases, [\d.]+ s\) - storage faults by "
                                       r"file system; [1-9]\d* of \d+ cases reached one")

    def test_sink_processes_are_forks_of_one_that_started_once(self):
        # The adapter offers a fork server: Python starts twice (the hello's
        # process and the server), every other sink process is a fork of the
        # server; --no-fork-server starts each afresh. The verdicts agree, a
        # killed fork (SK-4.3) is judged as a killed process, and storage faults
        # reach the forks through the file system (SK-4.1).
        with tempfile.TemporaryDirectory() as logs:
            log = os.path.join(logs, "starts")
            sink = jsonl_sink_variant(self, "pass", preamble=[f"open({log!r}, 'a').write(str(os.getpid()) + '\\n')"],
                                      capabilities={"survives_crash": True})
            verdicts = {}
            for extra in ((), ("--no-fork-server",)):
                open(log, "w").close()
                r, report = run_with_report("--seed", "5", "--budget", "5", "--rules", "SK-1.1,SK-2.3,SK-4.1,SK-4.3",
                                            *extra, "--", PY, sink)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertNotIn("fork server", r.stderr)
                with open(log, encoding="utf-8") as f:
                    starts = len(f.read().split())
                rules = {x["id"]: x for x in report["rules"]}
                verdicts[extra] = {rule: x["status"] for rule, x in rules.items()}
                self.assertRegex(rules["SK-4.1"]["message"], r"^storage faults by file system; [1-9]\d* of \d+ cases reached one")
                if extra:
                    self.assertGreater(starts, 4, "each rule's processes start afresh")
                else:
                    self.assertEqual(starts, 2, "the hello's process and the fork server")
            self.assertEqual(verdicts[()], verdicts[("--no-fork-server",)])
            self.assertEqual(set(verdicts[()].values()), {"passed"})

    def test_a_fork_server_that_fails_leaves_fresh_starts(self):
        # One that dies at start, and one whose module starts a thread at
        # import (a fork would copy locks that thread holds): the kit says so
        # once per process and starts the sink processes itself.
        for preamble in ("if os.environ.get('SINKKIT_FORK_SERVER'): os._exit(3)",
                         "import threading; threading.Thread(target=time.sleep, args=(60,), daemon=True).start()"):
            with self.subTest(preamble=preamble):
                sink = jsonl_sink_variant(self, "pass", preamble=[preamble], capabilities={"survives_crash": True})
                r = sinkkit("run", "--seed", "5", "--budget", "3", "--rules", "SK-2.3,SK-4.3", "--", PY, sink)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertIn("2 passed", r.stdout)
                self.assertRegex(r.stderr, r"the sink's fork server failed \((it closed the request unanswered|it refused: the sink module started 1 thread)")

    def test_targets_are_made_where_scratch_says(self):
        with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryDirectory() as logs:
            log = os.path.join(logs, "dirs")
            # Each write notes the folder its partition's file is in.
            sink = jsonl_sink_variant(self, f"open({log!r}, 'a').write(os.path.dirname(os.readlink('/proc/self/fd/' + str(self.fd))) + '\\n')")
            r = sinkkit("run", "--seed", "3", "--budget", "3", "--rules", "SK-2.3", "--scratch", scratch,
                        "--", PY, sink)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("targets in " + scratch, r.stdout.splitlines()[0])
            with open(log, encoding="utf-8") as f:
                dirs = f.read().split()
            self.assertTrue(dirs, "no write was made")
            for d in dirs:
                self.assertTrue(d.startswith(scratch + os.sep), d)
            self.assertEqual(os.listdir(scratch), [], "the targets are removed at the end")

    def test_an_allow_list_turns_a_known_failure_into_a_reported_pass(self):
        with tempfile.TemporaryDirectory() as tmp:
            allow = write_json(os.path.join(tmp, "allow.json"),
                               {"allow": [{"rule": "SK-4.1", "reason": "flush retry lands in 2.4", "expires": "2999-01-01"},
                                          {"rule": "SK-4.2", "reason": "same bug"}]})
            r, report = self.run_suite("broken_sqlite_sink.py", "--rules", "SK-4.1,SK-4.2", "--strict",
                                       "--allow-list", allow, "--report-formats", "json,md")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("0 failed, 0 skipped, 2 allowed", r.stdout.splitlines()[-1])
            self.assertEqual({x["id"]: x.get("allowed") for x in report["rules"]},
                             {"SK-4.1": "flush retry lands in 2.4", "SK-4.2": "same bug"})
            # Expired: the run fails, naming the entry.
            write_json(allow, {"allow": [{"rule": "SK-4.1", "reason": "old", "expires": "2001-01-01"}]})
            r, report = self.run_suite("broken_sqlite_sink.py", "--rules", "SK-4.1", "--allow-list", allow)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("expired on 2001-01-01", r.stdout)
            # A bad list is a usage error before anything runs.
            write_json(allow, {"allow": [{"rule": "SK-4.1"}]})
            r, _ = self.run_suite("broken_sqlite_sink.py", "--allow-list", allow)
            self.assertEqual(r.returncode, 2)
            self.assertIn('"reason" is required', r.stderr)

    def test_report_writes_the_formats_asked_for(self):
        with tempfile.TemporaryDirectory() as reports:
            r = sinkkit("run", "--seed", "3", "--budget", "5", "--rules", "SK-2.3", "--report", reports,
                        "--report-formats", "md,junit", "--", PY, os.path.join(EXAMPLES, "jsonl_sink.py"))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(sorted(os.listdir(reports)), ["python-jsonl.junit.xml", "python-jsonl.md"])
            r = sinkkit("run", "--report", reports, "--report-formats", "pdf", "--", PY, "x.py")
            self.assertEqual(r.returncode, 2)
            self.assertIn("'pdf'", r.stderr)

    def test_the_broken_sink_fails_on_sk_4_1(self):
        r, report = self.run_suite("broken_sqlite_sink.py", "--rules", "SK-4.1,SK-4.2,SK-2.3")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        statuses = {x["id"]: x["status"] for x in report["rules"]}
        self.assertEqual(statuses, {"SK-4.1": "failed", "SK-4.2": "warning", "SK-2.3": "passed"})
        self.assertIn(SINKKIT + " replay --rule SK-4.1 --seed 11", r.stdout)  # the binary that ran


class Postgres(unittest.TestCase):
    """The PostgreSQL table sink and its twin, on the throwaway cluster that
    scripts/with_postgres.sh starts: storage faults by network, through the
    kit's TCP fault proxy, with no hook in the sink."""

    SINK = None

    @classmethod
    def setUpClass(cls):
        if "PGPORT" not in os.environ:
            raise AssertionError("no PostgreSQL server: run this case through scripts/with_postgres.sh")
        cls.SINK = os.path.join(EXAMPLES, "postgres_sink.py")

    # 5 cases a rule: each reaches a network fault in most cases (asserted
    # below); the main job runs the sink at 25.
    def run_suite(self, rules, *extra, budget="5"):
        return run_with_report("--seed", "11", "--budget", budget, "--rules", rules, "--report-formats", "json", "--",
                               PY, self.SINK, *extra)

    def test_the_sink_keeps_every_acknowledged_row_through_network_faults(self):
        r, report = self.run_suite("SK-2.3,SK-2.5,SK-3.1,SK-4.1,SK-4.2,SK-4.4,SK-4.5")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rules = {x["id"]: x for x in report["rules"]}
        self.assertEqual({k: v["status"] for k, v in rules.items()}, dict.fromkeys(rules, "passed"))
        for rule in ("SK-4.1", "SK-4.2", "SK-4.5"):
            self.assertRegex(rules[rule]["message"], r"^storage faults by network; [1-9]\d* of 5 cases reached one")
        self.assertRegex(rules["SK-2.5"]["message"], r"^storage faults by network in [1-9]\d* of 5 cases")
        self.assertFalse(any("duplicates" in x for x in report["rules"]), report["rules"])

    def test_a_retried_insert_whose_reply_was_lost_duplicates_rows_and_fails_exactly_once(self):
        # The twin sends a failed INSERT again on a new connection, with no
        # unique key: when only the reply was lost, the rows are stored twice.
        r, report = self.run_suite("SK-2.5", "--retry-insert", budget="30")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        rule = report["rules"][0]
        self.assertEqual(rule["status"], "failed", rule)
        self.assertIn("duplicate cop", rule["message"])
        self.assertRegex(r.stdout, r"run: .*faults: storage of w\d+\.b0 fails after \d+ more items \(replies dropped")
        self.assertIn("replies dropped", rule["duplicates"]["after"])
        # The same code declaring at_least_once passes, the cost shown as a figure.
        r, report = self.run_suite("SK-2.5,SK-4.1,SK-4.2", "--retry-insert", "--at-least-once", budget="30")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rules = {x["id"]: x for x in report["rules"]}
        self.assertEqual(rules["SK-2.5"]["status"], "not_applicable")
        figures = [x for x in report["rules"] if "duplicates" in x]
        self.assertTrue(figures, r.stdout)
        for rule in figures:
            self.assertEqual(rule["status"], "passed", rule)
            self.assertRegex(rule["message"], r"at least once: [1-9]\d* duplicates? in [1-9]\d* of 30 cases, after "
                                              r".*replies dropped")

    def test_the_pop_before_insert_twin_fails_sk_4_1(self):
        r, report = self.run_suite("SK-4.1", "--pop-before-insert")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(report["rules"][0]["status"], "failed")
        self.assertIn("lost", report["rules"][0]["message"])
        # The counterexample shows the connection the proxy failed.
        self.assertRegex(r.stdout, r"\[storage: the connection to 127\.0\.0\.1:\d+ (was reset|stalled|lost its)")
        self.assertIn("--pop-before-insert", r.stdout)  # in the reproduce line

    def test_a_whole_run_leaves_no_table_on_the_server(self):
        # The sink's cleanup (the op drop_target) drops each target's table
        # after its read-back: crashed, faulted and rejected targets too.
        import psycopg  # noqa: PLC0415 - the Debian package, for this case only

        def tables():
            with psycopg.connect(autocommit=True) as conn:  # the PG* environment
                return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}

        before = tables()
        r, report = run_with_report("--seed", "11", "--budget", "3", "--report-formats", "json", "--", PY, self.SINK)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertGreater(sum(x["cases"] for x in report["rules"]), 40, report["rules"])
        self.assertEqual(tables() - before, set(), "tables the run left behind")
        self.assertNotIn("left behind", r.stdout + r.stderr)

    def test_a_server_the_proxy_cannot_reach_is_a_usage_error(self):
        config = json.dumps({"dsn": "postgresql://u@{proxy:db.example.com:5432}/x", "table": "t"})
        r = sinkkit("run", "--config", config, "--", PY, self.SINK)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("{proxy:db.example.com:5432}", r.stderr)
        self.assertIn("loopback", r.stderr)


class Report(unittest.TestCase):
    """`sinkkit report`: renders a saved result, gates it again, names bad input."""

    SAMPLE = None  # the writers' golden input: not conformant, one expired entry, one allowed failure

    def report(self, *args):
        return sinkkit("report", self.SAMPLE, *args, timeout=60)

    def test_three_shards_side_by_side_merge_into_the_unsharded_run(self):
        # The broken SQLite sink: SK-4.1 fails, SK-4.2 warns, one cause for both,
        # whichever shards they land in.
        rules = "SK-1.1,SK-2.3,SK-2.5,SK-3.1,SK-4.1,SK-4.2,SK-4.5"
        common = ("--seed", "11", "--budget", "5", "--jobs", "1", "--rules", rules, "--report-formats", "json")
        sink = ("--", PY, os.path.join(EXAMPLES, "broken_sqlite_sink.py"))

        def result_in(folder):
            [name] = os.listdir(folder)
            return os.path.join(folder, name)

        with tempfile.TemporaryDirectory() as tmp:
            r = sinkkit("run", "--report", os.path.join(tmp, "whole"), *common, *sink)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            with open(result_in(os.path.join(tmp, "whole")), encoding="utf-8") as f:
                whole = json.load(f)
            shards = [subprocess.Popen([SINKKIT, "run", "--shard", f"{i}/3", "--report", os.path.join(tmp, f"s{i}"),
                                        *common, *sink], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                      for i in (1, 2, 3)]
            outputs = [p.communicate(timeout=600)[0] for p in shards]
            files = [result_in(os.path.join(tmp, f"s{i}")) for i in (1, 2, 3)]
            parts = []
            for i, (p, out, path) in enumerate(zip(shards, outputs, files), start=1):
                self.assertIn(f"shard {i}/3", out.splitlines()[0])  # the header says which part this is
                with open(path, encoding="utf-8") as f:
                    parts.append(json.load(f))
                self.assertEqual(parts[-1]["shard"], f"{i}/3")
                self.assertEqual(p.returncode, 1 if any(x["id"] == "SK-4.1" for x in parts[-1]["rules"]) else 0, out)
            ran = [{x["id"] for x in part["rules"]} for part in parts]
            self.assertEqual(sum(len(x) for x in ran), len(rules.split(",")), ran)  # disjoint
            self.assertEqual(set().union(*ran), set(rules.split(",")))
            self.assertGreaterEqual(sum(1 for x in ran if x), 2, ran)

            merged_path = os.path.join(tmp, "merged.json")
            r = sinkkit("report", "--merge", *files, "-f", "json", "-o", merged_path)
            self.assertEqual(r.returncode, 1, r.stderr)  # SK-4.1's shard failed: the merge fails
            with open(merged_path, encoding="utf-8") as f:
                merged = json.load(f)
            self.assertEqual({x["id"]: x["status"] for x in merged["rules"]},
                             {x["id"]: x["status"] for x in whole["rules"]})
            self.assertEqual(merged["causes"], whole["causes"])
            self.assertEqual([(c["rule"], c["also"]) for c in merged["causes"]], [("SK-4.1", ["SK-4.2"])])
            self.assertEqual(merged["summary"], whole["summary"])
            self.assertNotIn("shard", merged)

            # A shard missing fails the merge, naming it; one given twice is refused.
            r = sinkkit("report", "--merge", files[0], files[2], "-f", "text")
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("shard 2/3 missing from the merge", r.stdout)
            # Gated again with an allow-list, the merge still misses its shard.
            allow = os.path.join(tmp, "allow.json")
            with open(allow, "w", encoding="utf-8") as f:
                json.dump({"allow": [{"rule": "SK-4.1", "reason": "known"}]}, f)
            r = sinkkit("report", "--merge", files[0], files[2], "--allow-list", allow, "-f", "text")
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("shard 2/3 missing from the merge", r.stdout)
            r = sinkkit("report", "--merge", files[0], files[0])
            self.assertEqual(r.returncode, 2)
            self.assertIn("shard 1/3 is given twice", r.stderr)
            r = sinkkit("run", "--shard", "0/3", *common, *sink)
            self.assertEqual(r.returncode, 2)
            self.assertIn("JOB_COMPLETION_INDEX from 0: add 1", r.stderr)

    def test_every_format_renders_and_exits_as_the_run_would(self):
        with tempfile.TemporaryDirectory() as tmp:
            for fmt, marker in (("md", "# sinkkit conformance report"), ("html", "<!DOCTYPE html>"),
                                ("junit", "<testsuites"), ("json", '"schema_version"'), ("text", "rule     level")):
                out = os.path.join(tmp, "out." + fmt)
                r = self.report("--format", fmt, "-o", out)
                self.assertEqual(r.returncode, 1, (fmt, r.stderr))
                with open(out, encoding="utf-8") as f:
                    self.assertIn(marker, f.read(), fmt)
            if shutil.which("xmllint"):
                schema = os.path.join(ROOT, "reports", "schema", "junit.xsd")
                v = subprocess.run(["xmllint", "--noout", "--schema", schema, os.path.join(tmp, "out.junit")],
                                   capture_output=True, text=True)
                self.assertEqual(v.returncode, 0, v.stderr)
        r = self.report("--format", "md")
        self.assertIn("NOT conformant", r.stdout)

    def test_an_allow_list_regates_a_saved_run(self):
        with tempfile.TemporaryDirectory() as tmp:
            allow = write_json(os.path.join(tmp, "allow.json"),
                               {"allow": [{"rule": "SK-2.3", "reason": "known", "expires": "2999-12-31"},
                                          {"rule": "SK-3.1", "reason": "known too"}]})
            r = self.report("--format", "text", "--allow-list", allow)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("(conformant)", r.stdout)
            self.assertEqual(self.report("--format", "text", "--allow-list", allow, "--strict").returncode, 1,
                             "strict: the warning on SK-4.2 fails")

    def test_bad_input_is_exit_2_naming_it(self):
        for args, words in ((["--format", "pdf"], "'pdf'"),
                            (["--allow-list", "/nonexistent/allow.json"], "/nonexistent/allow.json")):
            r = self.report(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(words, r.stderr)
        r = sinkkit("report", "/nonexistent/result.json")
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent/result.json", r.stderr)
        r = sinkkit("report", self.SAMPLE, self.SAMPLE, "--format", "json")
        self.assertEqual(r.returncode, 2)
        self.assertIn("one run", r.stderr)
        with tempfile.NamedTemporaryFile("w", suffix=".json") as bad:
            bad.write('{"schema_version": 99}')
            bad.flush()
            r = sinkkit("report", bad.name)
            self.assertEqual(r.returncode, 2)
            self.assertIn("schema_version 99", r.stderr)


def gbench(rates_by_name):
    """A synthetic Google Benchmark file: name -> items/s of each repetition."""
    benchmarks = []
    for name, rates in rates_by_name.items():
        for i, rate in enumerate(rates):
            benchmarks.append({"name": name, "run_name": name, "run_type": "iteration", "repetitions": len(rates),
                               "repetition_index": i, "iterations": 10, "real_time": 1e9 / rate, "time_unit": "ns",
                               "items_per_second": rate})
    return {"context": {}, "benchmarks": benchmarks}


class Bench(unittest.TestCase):
    def test_bench_measures_a_sink_process_and_reports(self):
        with tempfile.TemporaryDirectory() as tmp:
            r = sinkkit("bench", "--repetitions", "2", "--batch-sizes", "16,256", "--workers", "1,2", "--items", "2048",
                        "--report", tmp, "--", PY, os.path.join(EXAMPLES, "jsonl_sink.py"))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("python-jsonl/batch:256/workers:2", r.stdout)
            self.assertIn("(the sink's own write_batch: ", r.stdout)
            with open(os.path.join(tmp, "bench.json"), encoding="utf-8") as f:
                results = json.load(f)
            iterations = [b for b in results["benchmarks"] if b["run_type"] == "iteration"]
            medians = [b for b in results["benchmarks"] if b.get("aggregate_name") == "median"]
            self.assertEqual((len(iterations), len(medians)), (8, 4))
            for b in iterations:
                self.assertGreater(b["items_per_second"], 0)
                self.assertLessEqual(b["write_p50_ns"], b["write_p99_ns"])
                self.assertLessEqual(b["write_p99_ns"], b["write_max_ns"])
                self.assertGreater(b["close_p50_ns"], 0)
                # The adapter's own timing of the sink's write_batch: within each call's.
                self.assertGreater(b["sink_write_p50_ns"], 0)
                self.assertLessEqual(b["sink_write_p50_ns"], b["write_p50_ns"])
                self.assertGreaterEqual(b["sink_items_per_second"], b["items_per_second"])
            with open(os.path.join(tmp, "bench.html"), encoding="utf-8") as f:
                page = f.read()
            self.assertIn('class="chart throughput"', page)
            self.assertIn('class="chart latency"', page)
            # The results are their own baseline: no regression.
            r = sinkkit("bench", "--input", os.path.join(tmp, "bench.json"), "--baseline", os.path.join(tmp, "bench.json"))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("no regression", r.stdout)
            r = sinkkit("report", os.path.join(tmp, "bench.json"), "--format", "md")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("# sinkkit benchmark report", r.stdout)

    def test_items_are_honoured_and_a_failed_configuration_is_reported_the_others_written(self):
        # Refuses batches over 100 items: batch 256 fails, batch 1 (300 writes,
        # past the old cap of 256 epochs) is measured and written.
        path = jsonl_sink_variant(self, "if len(items) > 100: raise RuntimeError('request too large')")
        with tempfile.TemporaryDirectory() as tmp:
            r = sinkkit("bench", "--repetitions", "1", "--batch-sizes", "1,256", "--workers", "1", "--items", "300",
                        "--out", os.path.join(tmp, "b.json"), "--", PY, path)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("FAILED: python-jsonl/batch:256/workers:1", r.stdout)
            self.assertIn("request too large", r.stdout)
            with open(os.path.join(tmp, "b.json"), encoding="utf-8") as f:
                results = json.load(f)
        by_name = {}
        for b in results["benchmarks"]:
            by_name.setdefault(b["name"], []).append(b)
        measured = by_name["python-jsonl/batch:1/workers:1"][0]
        self.assertEqual((measured["writes"], measured["items"]), (300, 300))
        self.assertTrue(by_name["python-jsonl/batch:256/workers:1"][0]["error_occurred"])

    def test_the_regression_gate_fails_a_slowdown_and_passes_noise(self):
        with tempfile.TemporaryDirectory() as tmp:
            def write(name, data):
                return write_json(os.path.join(tmp, name), data)
            old = write("old.json", gbench({"BM_sink/256": [99e6, 100e6, 101e6], "BM_sink/16": [10e6, 10e6, 10e6]}))
            slow = write("slow.json", gbench({"BM_sink/256": [69e6, 70e6, 71e6], "BM_sink/16": [10e6, 10e6, 10e6]}))
            noisy = write("noisy.json", gbench({"BM_sink/256": [80e6, 92e6, 104e6], "BM_sink/16": [9.6e6, 9.7e6, 9.8e6]}))
            r = sinkkit("bench", "--input", slow, "--baseline", old, "--max-regression", "10%")
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("BM_sink/256", r.stdout)
            self.assertIn("-30.0%", r.stdout)
            self.assertNotIn("BM_sink/16:", r.stdout)
            r = sinkkit("bench", "--input", noisy, "--baseline", old, "--max-regression", "10%")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = sinkkit("bench", "--input", slow, "--baseline", old, "--max-regression", "40%")
            self.assertEqual(r.returncode, 0, "30% is within a 40% limit")

    def test_bad_bench_input_is_exit_2_naming_it(self):
        for args, words in ((["--input", "x.json"], "--baseline"),
                            (["--input", "x.json", "--baseline", "y.json", "--max-regression", "ten"], "ten"),
                            (["--batch-sizes", "0,16", "--", PY, "x.py"], "'0'"),
                            ([], "command"),
                            (["--input", "/nonexistent/new.json", "--baseline", "/nonexistent/old.json"], "/nonexistent/new.json")):
            r = sinkkit("bench", *args)
            self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
            self.assertIn(words, r.stderr, args)


class Misbehaving(unittest.TestCase):
    """Sinks that crash, hang or garble: the rule fails, the run goes on."""

    def sink(self, body):
        return jsonl_sink_variant(self, body)

    def run_rules(self, path, *extra):
        return sinkkit("run", "--seed", "3", "--budget", "5", "--rules", "SK-2.3,SK-1.1", *extra, "--", PY, path)

    def test_a_sink_that_dies_mid_write_fails_the_rule_and_the_run_goes_on(self):
        r = self.run_rules(self.sink("if len(items) > 3: os._exit(9)"))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("SK-2.3 no acknowledged item lost: failed", r.stdout)
        self.assertIn("exited with 9", r.stdout)
        self.assertIn("SK-1.1 build once per worker: passed", r.stdout)

    def test_a_hanging_sink_times_out(self):
        r = self.run_rules(self.sink("if len(items) > 3: __import__('time').sleep(3600)"), "--call-timeout-ms", "300")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("did not answer within 300 ms", r.stdout)

    def test_the_report_keeps_the_counterexamples_output_only(self):
        # Every write says so on stderr, and batches over 3 items are dropped:
        # the output kept is that of the shrunk run, not of every case tried.
        path = self.sink('if print(f"write_batch of {len(items)} items", file=sys.stderr, flush=True) or len(items) > 3: '
                         'return')
        with tempfile.TemporaryDirectory() as reports:
            r = sinkkit("run", "--seed", "3", "--budget", "30", "--rules", "SK-2.3", "--report", reports,
                        "--report-formats", "json", "--", PY, path)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            with open(os.path.join(reports, os.listdir(reports)[0]), encoding="utf-8") as f:
                rule = json.load(f)["rules"][0]
        writes = [e for e in rule["counterexample"]["trace"]["events"] if e["kind"] == "write_batch"]
        said = re.findall(r"write_batch of (\d+) items", rule["output"])
        # (per process, so in another order than the trace when several workers wrote)
        self.assertEqual(sorted(said), sorted(str(e.get("size", 0)) for e in writes), rule["output"])
        self.assertNotIn("sinkkit case run", rule["output"])

    def test_a_sink_that_garbles_stdout_is_malformed(self):
        r = self.run_rules(self.sink("print('debug: writing', len(items), flush=True)"))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("not JSON: 'debug: writing", r.stdout)

    def test_a_store_its_own_reader_cannot_read_is_one_finding_about_the_sink(self):
        # A failed append leaves its bytes (the sink never cuts them off): the
        # next append is glued to the torn line, and the sink's read_back
        # raises on it. Every rule that reads it back fails on the sink's
        # corrupt storage, as one cause; none says the kit could not go on.
        path = jsonl_sink_variant(self, "pass", preamble=["os.ftruncate = lambda fd, length: None"])
        r, report = run_with_report("--seed", "3", "--budget", "40", "--rules", "SK-2.3,SK-4.1,SK-4.2,SK-4.5,SK-6.1",
                                    "--report-formats", "json", "--", PY, path)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        broken = [x for x in report["rules"] if x["status"] in ("failed", "warning")]
        self.assertGreaterEqual(len(broken), 2, r.stdout)
        for rule in broken:
            self.assertIn("the read-back failed: the storage holds what the sink's own reader cannot read "
                          "(JSONDecodeError: ", rule["message"])
            self.assertEqual([v["kind"] for v in rule["counterexample"]["verdict"]["violations"]], ["corrupted"])
        self.assertNotIn("could not complete", r.stdout)
        self.assertEqual(len(report["causes"]), 1, report["causes"])
        self.assertIn(report["causes"][0]["rule"], ("SK-4.1", "SK-4.2"))


class Resources(unittest.TestCase):
    """SK-3.5 on sink processes: the kit looks at each one under /proc/PID
    before build and after close, and names what close did not release."""

    def run_sk_3_5(self, path, *extra):
        return run_with_report("--seed", "4", "--budget", "30", "--rules", "SK-3.5", "--report-formats", "json",
                               *extra, "--", PY, path)

    def test_the_python_examples_release_what_they_open(self):
        for example in ("jsonl_sink.py", "sqlite_sink.py"):
            r, report = self.run_sk_3_5(os.path.join(EXAMPLES, example))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(report["rules"][0]["status"], "passed", report["rules"][0])

    def test_a_descriptor_leaked_at_every_build_is_named(self):
        path = jsonl_sink_variant(self, "pass", preamble=[
            "_leaked, _dir = [], jsonl_sink._dir",
            "jsonl_sink._dir = lambda config: (_leaked.append(open(os.devnull)), _dir(config))[1]"])
        r, report = self.run_sk_3_5(path, "--strict")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        rule = report["rules"][0]
        self.assertEqual(rule["status"], "warning", rule)
        self.assertRegex(rule["message"], r"^after close, process \d+ holds 1 descriptor more than before build: "
                                          r"descriptor \d+ \(/dev/null\)$")

    def test_a_socket_only_the_garbage_collector_closes_is_a_leak_all_the_same(self):
        # A client in a reference cycle, dropped at build: its socket stays
        # open until a collection runs (the process's automatic one is off,
        # as for objects that live long enough to reach the oldest generation).
        path = jsonl_sink_variant(self, "pass", preamble=[
            "import gc, socket",
            "gc.disable()",
            "class Client:",
            "    def __init__(self): self.sock, self.me = socket.socket(socket.AF_INET, socket.SOCK_STREAM), self",
            "_dir = jsonl_sink._dir",
            "jsonl_sink._dir = lambda config: (Client(), _dir(config))[1]"])
        r, report = self.run_sk_3_5(path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)  # a SHOULD rule: a warning
        rule = report["rules"][0]
        self.assertEqual(rule["status"], "warning", rule)
        self.assertRegex(rule["message"], r"holds 1 descriptor more than before build: descriptor \d+ \(a socket, "
                                          r"not bound nor connected, socket:\[\d+\]\), released only by the garbage "
                                          r"collector$")


class SlowOrHung(unittest.TestCase):
    """Slow is not hung: a sink that keeps its own pace passes (reported
    slow); one that stops answering is hung, and costs seconds per shrink
    step, not the call timeout each time."""

    def test_a_sink_at_its_own_pace_is_slow_not_hung(self):
        # 0.5 ms an item: max_batch_size takes 2 s, ten times the 200 ms call timeout.
        path = jsonl_sink_variant(self, "time.sleep(len(items) * 0.0005)", capabilities={"max_batch_size": 4096})
        r, report = run_with_report("--seed", "5", "--budget", "3", "--rules", "SK-2.9", "--call-timeout-ms", "200",
                                    "--", PY, path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rule = report["rules"][0]
        self.assertEqual(rule["status"], "passed", rule)
        self.assertRegex(rule["message"], r"slow, not hung: a write_batch of 4096 items took \d+\.\d s, beyond "
                                          r"the call timeout \(200 ms\).*--call-timeout-ms raises the limit")

    def test_a_sink_that_stops_answering_is_hung(self):
        # Its own pace on small batches, then no answer: hung, not slow.
        path = jsonl_sink_variant(self, "time.sleep(3600) if len(items) > 1000 else None",
                                  capabilities={"max_batch_size": 4096})
        r = sinkkit("run", "--seed", "5", "--budget", "3", "--rules", "SK-2.9", "--call-timeout-ms", "300",
                    "--", PY, path)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("SK-2.9 batch sizes 1 to max_batch_size: failed", r.stdout)
        self.assertIn("did not answer within", r.stdout)

    def test_one_hang_is_shrunk_once_and_judged_as_one_cause(self):
        # Every rule that closes twice meets the hang. The first to meet it
        # shrinks it; the others file it under that rule's cause as found,
        # and wait for a hung close no longer than closes take (at least 1 s).
        path = jsonl_sink_variant(self, "pass", close_first="if self.closes: time.sleep(3600)")
        r, report = run_with_report("--seed", "5", "--budget", "20", "--call-timeout-ms", "5000",
                                    "--report-formats", "json", "--", PY, path)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual([c["rule"] for c in report["causes"]], ["SK-3.1"], report["causes"])
        broken = [x for x in report["rules"] if x["status"] in ("failed", "warning")]
        self.assertGreater(len(broken), 5, r.stdout)
        filed = [x["id"] for x in broken if "not shrunk: the same failed call as " in x["message"]]
        shrunk = [x["id"] for x in broken if x["id"] not in filed]
        self.assertEqual(len(shrunk), 1, r.stdout)
        for rule in broken:
            if rule["id"] in filed:
                self.assertIn(f"the same failed call as {shrunk[0]}'s, which shrinks it", rule["message"])
        # A hung close is judged on the pace of closes, not of the slowest call.
        self.assertRegex(r.stdout, r"a call hung earlier: 20x the slowest close answered \(\d+ ms\), at least 1000 ms")

    def test_a_hang_in_a_repeated_close_shortens_the_later_calls(self):
        path = jsonl_sink_variant(self, "pass", close_first="if self.closes: time.sleep(3600)")
        r, report = run_with_report("--seed", "5", "--budget", "5", "--rules", "SK-3.1", "--call-timeout-ms", "2000",
                                    "--", PY, path)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        rule = report["rules"][0]
        self.assertEqual(rule["status"], "failed", rule)
        # The shrunk case's hang was judged on the shortened limit.
        self.assertIn("a call hung earlier", rule["message"])


class Interrupted(unittest.TestCase):
    """A run stopped by SIGINT, SIGTERM (a cancelled CI job) or SIGKILL in the
    middle of a rule leaves no process behind, and for the first two keeps
    what was judged: reports written, the run marked interrupted, 128 + N."""

    # Every process of the run carries MARKER in its command line: the
    # runner, its supervisor and rule processes (the sink command is in their
    # arguments), the sink, and the helper it forks.
    # Each says it is in its write (a file in READY) just before it hangs.
    BEHAVIOURS = {
        "hangs": "ready(); time.sleep(3600)",
        "forks_a_helper": "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3600)', MARKER]); "
                          "ready(); time.sleep(3600)",
        "ignores_sigterm": "signal.signal(signal.SIGTERM, signal.SIG_IGN); ready(); time.sleep(3600)",
    }

    def setUp(self):
        self.marker = f"sinkkit-interrupt-test-{os.getpid()}-{self.id().rsplit('.', 1)[-1]}"
        self.addCleanup(self.kill_leftovers)

    def processes_with_marker(self):
        found = {}
        for pid in (p for p in os.listdir("/proc") if p.isdigit()):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmdline = f.read().decode(errors="replace")
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if self.marker in cmdline:
                fields = stat[stat.rfind(")") + 2:].split()
                if fields[0] != "Z":  # a zombie is dead; its parent reaps it
                    found[int(pid)] = int(fields[2])  # pgrp
        return found

    def processes_in_groups(self, groups):
        left = []
        for pid in (p for p in os.listdir("/proc") if p.isdigit()):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()
            if int(fields[2]) in groups and fields[0] != "Z":
                left.append(int(pid))
        return left

    def kill_leftovers(self):
        for pid in self.processes_with_marker():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def sink(self, behaviour):
        return jsonl_sink_variant(self, self.BEHAVIOURS[behaviour], preamble=(
            "MARKER, READY = sys.argv[1], sys.argv[2]",
            "def ready():",
            "    open(os.path.join(READY, str(os.getpid())), 'w').close()",
        ))

    def interrupt(self, behaviour, sig):
        """Runs SK-1.1 (no writes: judged) then SK-2.3 (its writes hang), sends
        `sig` to the runner once SK-2.3 has a sink process, and returns the
        exit status, the seconds from the signal to the exit, the output, the
        report (None if none) and the process groups the run's processes had."""
        reports = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, reports, True)
        self.scratch = tempfile.mkdtemp()  # the run's temporary folder: its test targets go here
        self.addCleanup(shutil.rmtree, self.scratch, True)
        ready = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, ready, True)

        def default_signals():  # whatever this test was started with, the runner gets the defaults
            for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(s, signal.SIG_DFL)

        runner = subprocess.Popen([SINKKIT, "run", "--seed", "3", "--budget", "3", "--rules", "SK-1.1,SK-2.3,SK-2.4",
                                   "--call-timeout-ms", "60000", "--report", reports, "--report-formats", "json,md",
                                   "--", PY, self.sink(behaviour), self.marker, ready],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  env=dict(os.environ, TMPDIR=self.scratch), preexec_fn=default_signals)
        self.addCleanup(lambda: runner.poll() is None and runner.kill())
        output = ""
        for line in runner.stdout:  # SK-1.1's verdict line: SK-2.3 starts next
            output += line
            if line.startswith("[1/3] SK-1.1"):
                break
        self.assertIn("SK-1.1", output)
        deadline = time.monotonic() + 30
        while not os.listdir(ready) and time.monotonic() < deadline:  # a sink of SK-2.3 is in its hanging write
            time.sleep(0.02)
        self.assertTrue(os.listdir(ready), "no sink process of SK-2.3 reached its write")
        # The groups of the sink processes and helpers (not the runner's: it is this test's).
        groups = {g for pid, g in self.processes_with_marker().items() if pid != runner.pid} - {os.getpgid(0)}
        self.assertTrue(groups)
        signalled = time.monotonic()
        runner.send_signal(sig)
        rest, _ = runner.communicate(timeout=60)
        took = time.monotonic() - signalled
        output += rest
        report = None
        for name in os.listdir(reports):
            if name.endswith(".json"):
                with open(os.path.join(reports, name), encoding="utf-8") as f:
                    report = json.load(f)
        return runner.returncode, took, output, report, groups

    def assert_nothing_left(self, groups):
        deadline = time.monotonic() + 5  # the supervisor acts when it sees the runner gone
        while time.monotonic() < deadline and (self.processes_with_marker() or self.processes_in_groups(groups)):
            time.sleep(0.05)
        self.assertEqual(self.processes_with_marker(), {}, "processes of the run left behind (by marker)")
        self.assertEqual(self.processes_in_groups(groups), [], "processes of the run left behind (by process group)")

    def check_graceful(self, behaviour, sig):
        code, took, output, report, groups = self.interrupt(behaviour, sig)
        self.assertEqual(code, 128 + sig, output)
        self.assertLess(took, 10, "the runner took too long to stop")  # ~0.2 s; a loaded ASan build is slow
        self.assert_nothing_left(groups)
        self.assertEqual(os.listdir(self.scratch), [], "the interrupted rule's test targets are left")
        self.assertIsNotNone(report, output)
        rules = {r["id"]: r for r in report["rules"]}
        self.assertEqual(report["interrupted"], signal.Signals(sig).name)
        self.assertNotEqual(report["exit_code"], 0)
        self.assertEqual(rules["SK-1.1"]["status"], "passed")  # judged before the signal: kept
        for rid in ("SK-2.3", "SK-2.4"):  # in progress, and not reached
            self.assertEqual(rules[rid]["status"], "untested", rules[rid])
            self.assertIn("not run: the run was interrupted by " + signal.Signals(sig).name, rules[rid]["message"])
        self.assertIn("interrupted by " + signal.Signals(sig).name, output)

    def test_sigint_and_sigterm_on_each_kind_of_sink(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            for behaviour in self.BEHAVIOURS:
                with self.subTest(signal=sig.name, behaviour=behaviour):
                    self.check_graceful(behaviour, sig)

    def test_sighup_too(self):
        self.check_graceful("forks_a_helper", signal.SIGHUP)

    def test_sigkill_leaves_nothing_behind(self):
        for behaviour in ("hangs", "forks_a_helper", "ignores_sigterm"):
            with self.subTest(behaviour=behaviour):
                code, _, output, _, groups = self.interrupt(behaviour, signal.SIGKILL)
                self.assertEqual(code, -signal.SIGKILL, output)
                self.assert_nothing_left(groups)


class Soak(unittest.TestCase):
    """`sinkkit soak`: rounds at fresh seeds until the time is up, every
    distinct cause kept once, progress as it goes, a signal ends it with the
    report written."""

    def soak(self, sink, duration, rules, *extra, jobs="2"):
        """`sinkkit soak` with a JSON report: the result and the report."""
        with tempfile.TemporaryDirectory() as reports:
            r = sinkkit("soak", "--duration", duration, "--seed", "100", "--budget", "5", "--jobs", jobs, "--rules", rules,
                        "--report", reports, "--report-formats", "json", *extra, "--", PY, os.path.join(EXAMPLES, sink))
            [name] = os.listdir(reports)
            with open(os.path.join(reports, name), encoding="utf-8") as f:
                report = json.load(f)
        self.assertEqual(name, report["sink"] + ".json")  # named after the sink, as `run --report` names it
        return r, report

    def rounds_of(self, report):
        [note] = [n for n in report["gate_notes"] if n.startswith("soak: ")]
        return int(re.match(r"soak: (\d+) rounds?", note).group(1))

    def test_a_mutant_soak_finds_its_cause_once_and_exits_1(self):
        r, report = self.soak("broken_sqlite_sink.py", "10m", "SK-2.3,SK-4.1,SK-4.2", "--rounds", "3")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(self.rounds_of(report), 3, report["gate_notes"])
        # Found in every round, kept once: the same bug at other seeds is the same cause.
        self.assertEqual([(c["rule"], c["also"]) for c in report["causes"]], [("SK-4.1", ["SK-4.2"])], report["causes"])
        self.assertRegex(r.stdout, r"\[soak \dm\d\ds of 10m00s\] round 1 \(seed 100\): 2 rules broken; so far \d+ cases, "
                                   r"1 cause \(1 new\)")
        self.assertIn("seeds 100 to 102; stopped after --rounds 3", " ".join(report["gate_notes"]))
        self.assertRegex(r.stdout, r"reproduce: \S+ replay --rule SK-4\.1 --seed 10\d ")
        statuses = {x["id"]: x["status"] for x in report["rules"]}
        self.assertEqual(statuses, {"SK-2.3": "passed", "SK-4.1": "failed", "SK-4.2": "warning"})

    def test_a_reference_sink_soak_passes_after_several_rounds(self):
        r, report = self.soak("jsonl_sink.py", "10m", "SK-2.3,SK-3.1", "--rounds", "3")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.rounds_of(report), 3, report["gate_notes"])
        self.assertNotIn("causes", report)
        for rule in report["rules"]:  # every round's cases, summed
            self.assertEqual(rule["status"], "passed", rule)
            self.assertEqual(rule["cases"], 15, rule)
        self.assertIn("round 3 (seed 102)", r.stdout)  # the last round's line, whatever the 10 s pace

    def test_a_soak_shorter_than_a_round_reports_the_rules_it_did_not_reach(self):
        # A partition takes 0.3 s to build (its config is checked slowly), a
        # rule's 5 cases more than the soak's 1 s: one rule at a time, the
        # first runs, the others do not start.
        slow_dir = "jsonl_sink._dir = (lambda check: lambda config: (time.sleep(0.3), check(config))[1])(jsonl_sink._dir)"
        sink = jsonl_sink_variant(self, "pass", preamble=[slow_dir])
        r, report = self.soak(sink, "1s", "SK-2.3,SK-2.4,SK-3.1", jobs="1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        statuses = {x["id"]: (x["status"], x["message"]) for x in report["rules"]}
        self.assertEqual(statuses["SK-2.3"][0], "passed", statuses)
        self.assertEqual(statuses["SK-2.4"], ("untested", "not started: the time was up"))
        self.assertEqual(statuses["SK-3.1"], ("untested", "not started: the time was up"))
        self.assertIn("soak: 1 round (the last one partial)", " ".join(report["gate_notes"]))
        self.assertIn("(the last one partial)", " ".join(report["gate_notes"]))

    def test_sigterm_mid_soak_writes_a_report_that_says_so(self):
        # Nothing found: 128 + SIGTERM; a failure found before the signal: 1.
        for sink, name, rules, code in (("jsonl_sink.py", "python-jsonl", "SK-2.3,SK-3.1", 128 + signal.SIGTERM),
                                        ("broken_sqlite_sink.py", "python-sqlite-broken", "SK-4.1", 1)):
            with tempfile.TemporaryDirectory() as reports:
                p = subprocess.Popen([SINKKIT, "soak", "--duration", "10m", "--seed", "100", "--budget", "5", "--rules",
                                      rules, "--report", reports, "--report-formats", "json", "--", PY,
                                      os.path.join(EXAMPLES, sink)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                seen = []
                for line in p.stdout:  # the first round's progress line, then the signal
                    seen.append(line)
                    if line.startswith("[soak "):
                        p.send_signal(signal.SIGTERM)
                        break
                out = "".join(seen) + p.communicate(timeout=120)[0]
                self.assertEqual(p.returncode, code, out)
                with open(os.path.join(reports, name + ".json"), encoding="utf-8") as f:
                    report = json.load(f)
            self.assertEqual(report["interrupted"], "SIGTERM")
            self.assertEqual(report["exit_code"], 2)  # a soak cut short never passes a gate
            self.assertGreaterEqual(self.rounds_of(report), 1)
            self.assertNotIn("had not finished", " ".join(report["gate_errors"]))  # the last write, not a round's
            self.assertNotIn("untested", {x["status"] for x in report["rules"]})  # judged rounds kept, no "not run"

    def test_a_soak_whose_sink_goes_down_stops_saying_why(self):
        # The sink's server goes away after the first round: every build
        # fails from then on. The soak stops once a round finds nothing new
        # and a build and close on a fresh target fails, not at 10m.
        # (The mutant soak above is the sink that breaks rules and is up:
        # its rounds go on.)
        with tempfile.TemporaryDirectory() as scratch:
            flag = os.path.join(scratch, "server-up")
            open(flag, "w").close()
            sink = jsonl_sink_variant(self, "pass", preamble=[
                f"FLAG = {flag!r}",
                "_real_dir = jsonl_sink._dir",
                "def _dir_while_up(config):",
                "    if not os.path.exists(FLAG):",
                "        raise ConnectionRefusedError('the sink server at 127.0.0.1:1 is gone')",
                "    return _real_dir(config)",
                "jsonl_sink._dir = _dir_while_up",
            ])
            reports = os.path.join(scratch, "reports")
            p = subprocess.Popen([SINKKIT, "soak", "--duration", "10m", "--seed", "100", "--budget", "5", "--rules",
                                  "SK-2.3,SK-3.1", "--report", reports, "--report-formats", "json", "--", PY, sink],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                seen = []
                for line in p.stdout:  # the first round's progress line, then the server goes
                    seen.append(line)
                    if line.startswith("[soak "):
                        os.remove(flag)
                        break
                out = "".join(seen) + p.communicate(timeout=120)[0]
            finally:
                p.kill()  # a soak that did not stop is not left running for its 10 minutes
                p.wait()
            self.assertEqual(p.returncode, 1, out)
            [name] = os.listdir(reports)
            with open(os.path.join(reports, name), encoding="utf-8") as f:
                report = json.load(f)
        self.assertRegex(out, r"\] after round \d+ the sink could no longer build and close a partition: .*"
                              r"ConnectionRefusedError: the sink server at 127\.0\.0\.1:1 is gone")
        [error] = report["gate_errors"]
        self.assertIn("ConnectionRefusedError: the sink server at 127.0.0.1:1 is gone", error)
        self.assertIn("stopped early: the sink is down", " ".join(report["gate_notes"]))
        self.assertLess(self.rounds_of(report), 10)
        self.assertIn("SK-2.3", {c["rule"] for c in report["causes"]} | {r for c in report["causes"] for r in c["also"]})

    def test_a_soak_of_rules_that_do_not_apply_stops_after_one_round(self):
        r, report = self.soak("jsonl_sink.py", "10m", "SK-7.1")  # a stateless sink: resume rules do not apply
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.rounds_of(report), 1)
        self.assertIn("no rule could be checked", " ".join(report["gate_notes"]))

    def test_a_bad_duration_is_a_usage_error(self):
        r = sinkkit("soak", "--duration", "5x", "--", PY, "x.py")
        self.assertEqual(r.returncode, 2)
        self.assertIn("'5x': unit 'x', expected s, m, h or d", r.stderr)


class PythonAdapter(unittest.TestCase):
    """python3 -m sinkkit_adapter on a loom-shaped sink with no sinkkit code
    (adapters/python/examples/loom_readings_sink.py), and the pytest plugin."""

    def env(self):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, "adapters", "python"), EXAMPLES])
        return env

    def run_node(self, node, *extra, adapter=("--read-back", "jsonl"), budget="8"):
        return run_with_report("--seed", "5", "--budget", budget, "--report-formats", "json", *extra, "--", PY, "-m",
                               "sinkkit_adapter", node, *adapter, env=self.env())

    def test_a_loom_node_is_checked_as_it_is(self):
        # The rules this path changes (the whole catalogue on a loom-shaped
        # sink: cli.QuickStart).
        r, report = self.run_node("loom_readings_sink:node", "--rules", "SK-1.2,SK-1.3,SK-2.3,SK-2.6,SK-4.1,SK-6.1,SK-6.2")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rules = {x["id"]: x for x in report["rules"]}
        # Its bridge is real: refused when absent, drained at close.
        self.assertEqual(rules["SK-1.3"]["status"], "passed", rules["SK-1.3"])
        self.assertEqual(rules["SK-6.1"]["status"], "passed")
        self.assertEqual(rules["SK-6.2"]["status"], "passed")
        self.assertEqual(rules["SK-2.6"]["status"], "passed")  # subtype instances, by attribute
        self.assertEqual(rules["SK-4.1"]["status"], "passed")  # its files fail under it

    def test_its_twin_that_does_not_wait_for_the_bridge_is_caught(self):
        r, report = self.run_node("loom_readings_sink:broken_node", "--rules", "SK-2.3,SK-6.1")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        rules = {x["id"]: x for x in report["rules"]}
        self.assertEqual(rules["SK-6.1"]["status"], "failed", rules["SK-6.1"])
        self.assertRegex(rules["SK-6.1"]["message"], r"^\d+ bridge tasks still queued or running when close of ")
        self.assertEqual(rules["SK-2.3"]["status"], "failed", rules["SK-2.3"])  # the writes close cut off

    def test_a_sink_that_disposes_the_session_manager_is_caught(self):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "disposing_sink.py"), "w", encoding="utf-8") as f:
                f.write(textwrap.dedent("""
                    import loom_readings_sink as base
                    class Partition(base.ReadingsPartition):
                        def __init__(self, sessions, *args):
                            super().__init__(*args)
                            self.sessions = sessions
                        def close(self):
                            super().close()
                            self.sessions.dispose()  # the pool is the adapter's, not the sink's
                    class Sink(base.ReadingsSink):
                        def build_partition(self, config, worker_index, worker_count, bridge, session_manager):
                            p = super().build_partition(config, worker_index, worker_count, bridge, session_manager)
                            return Partition(session_manager, p._path, bridge, True)
                    node = Sink(name="disposing")
                """))
            env = self.env()
            env["PYTHONPATH"] += os.pathsep + tmp
            r = subprocess.run([SINKKIT, "run", "--seed", "5", "--budget", "3", "--rules", "SK-6.2", "--", PY, "-m",
                                "sinkkit_adapter", "disposing_sink:node", "--read-back", "jsonl"],
                               capture_output=True, text=True, timeout=120, env=env)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("SK-6.2 session manager not disposed: failed", r.stdout)
            self.assertIn("the sink disposed the session manager", r.stdout)

    def test_an_import_error_shows_its_traceback_in_the_console_and_the_report(self):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "bad_sink.py"), "w", encoding="utf-8") as f:
                f.write("import no_such_storage_client\nnode = None\n")
            env = self.env()
            env["PYTHONPATH"] += os.pathsep + tmp
            reports = os.path.join(tmp, "reports")
            r = subprocess.run([SINKKIT, "run", "--report", reports, "--", PY, "-m", "sinkkit_adapter", "bad_sink:node"],
                               capture_output=True, text=True, timeout=120, env=env)
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
            for text in ("Traceback", "ModuleNotFoundError: No module named 'no_such_storage_client'"):
                self.assertIn(text, r.stderr)
            self.assertEqual(sorted(os.listdir(reports)), [f"bad_sink_node.{e}" for e in ("html", "json", "junit.xml",
                                                                                          "md", "txt")])
            with open(os.path.join(reports, "bad_sink_node.json"), encoding="utf-8") as f:
                report = json.load(f)
            self.assertEqual(report["exit_code"], 2)
            self.assertIn("No module named 'no_such_storage_client'", report["infrastructure_error"])
            with open(os.path.join(reports, "bad_sink_node.md"), encoding="utf-8") as f:
                self.assertIn("ModuleNotFoundError", f.read())

    def test_a_misspelt_capability_is_refused_naming_the_known_ones(self):
        r, _ = self.run_node("loom_readings_sink:node", adapter=("--read-back", "jsonl", "--capabilities",
                                                                  '{"durabilty": "on_close"}'))
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("unknown capability 'durabilty'", r.stderr)
        self.assertIn("durability", r.stderr.split("durabilty", 1)[1])  # among the known ones

    def test_pytest_fails_the_rules_sinkkit_run_fails(self):
        rules = "SK-1.3,SK-2.3,SK-4.1,SK-6.1"
        for node, expect in (("loom_readings_sink:node", 0), ("loom_readings_sink:broken_node", 1)):
            r, report = self.run_node(node, "--rules", rules, budget="5")
            self.assertEqual(r.returncode, expect, r.stdout + r.stderr)
            failed_by_run = {x["id"] for x in report["rules"] if x["status"] == "failed"}
            with tempfile.TemporaryDirectory() as tmp:
                junit = os.path.join(tmp, "junit.xml")
                p = subprocess.run([PY, "-m", "pytest", "-p", "sinkkit_adapter.pytest_plugin", "-q", "-p",
                                    "no:cacheprovider", "--rootdir", tmp, "--sinkkit", node,
                                    "--sinkkit-read-back", "jsonl", "--sinkkit-args", f"--seed 5 --budget 5 --rules {rules}",
                                    "--sinkkit-bin", SINKKIT, f"--junitxml={junit}"],
                                   capture_output=True, text=True, timeout=600, env=self.env(), cwd=tmp)
                self.assertEqual(p.returncode, expect, p.stdout + p.stderr)
                with open(junit, encoding="utf-8") as f:
                    xml = f.read()
            failed_by_pytest = set(re.findall(r'<testcase [^>]*name="(SK-[0-9.]+) [^"]*"[^>]*>\s*<failure', xml))
            self.assertEqual(failed_by_pytest, failed_by_run, p.stdout)
            if expect:
                self.assertIn("sinkkit replay --rule", p.stdout)  # the failure carries the replay command
            else:
                # A passed item shows nothing: the summary says how the fault rule was reached.
                self.assertIn("sinkkit: how the passed rules were tested", p.stdout)
                self.assertRegex(p.stdout, rf"{re.escape(node)} SK-4\.1 passed \(\d+ cases; storage faults by file "
                                           r"system; [1-9]\d* of \d+ cases reached one\)")


class Bytewax(unittest.TestCase):
    """Bytewax-shaped sinks (a DynamicSink, no node class, no sinkkit import)
    served with --bytewax, over dict, tuple and str items."""

    # Budget 4: every rule runs (SK-7.x at 5 cases); the main job runs them at 100.
    def run_sink(self, sink, item, read_back, template, *extra, pythonpath=(), budget="4",
                 capabilities='{"survives_crash": true}'):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, "adapters", "python"),
                                             os.path.join(EXAMPLES, "bytewax"), *pythonpath])
        return run_with_report("--seed", "5", "--budget", budget, "--report-formats", "json", *extra, "--", PY, "-m",
                               "sinkkit_adapter", "--bytewax", sink, "--item", item, "--read-back", read_back,
                               "--config-template", json.dumps(template), "--capabilities", capabilities, env=env)

    def assert_conformant(self, r, report):
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rules = {x["id"]: x for x in report["rules"]}
        self.assertEqual({k for k, v in rules.items() if v["status"] not in ("passed", "not_applicable")}, set(),
                         r.stdout)
        for rule in ("SK-2.3", "SK-2.6", "SK-4.3", "SK-4.4"):  # its read-back works: items came back, judged
            self.assertEqual(rules[rule]["status"], "passed", rules[rule])
            self.assertGreater(rules[rule]["cases"], 0, rules[rule])

    def test_a_dynamic_sink_over_dicts_passes_the_catalogue(self):
        self.assert_conformant(*self.run_sink("lines_sink:JsonLinesSink", "dict:key=str,value=int,label=str",
                                              "lines_sink:read_back", {"directory": "{target}"}))

    def test_a_dynamic_sink_over_key_value_tuples_passes_the_catalogue(self):
        self.assert_conformant(*self.run_sink("kv_sink:KeyValueSink", "tuple:key,value", "kv_sink:read_back",
                                              {"path": "{target}/kv.db"}))

    def test_a_fixed_partitioned_sink_passes_the_stateful_rules_and_the_rest(self):
        # The project's Bytewax-style file sink: offsets as snapshots, truncate on resume.
        r, report = self.run_sink("resumable_file_sink:ResumableFileSink", "dict:key=str,value=int,label=str",
                                  "resumable_file_sink:read_back", {"directory": "{target}", "parts": 8},
                                  capabilities="{}")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rules = {x["id"]: x for x in report["rules"]}
        self.assertEqual({k for k, v in rules.items() if v["status"] not in ("passed", "not_applicable")}, set(),
                         r.stdout)
        for rule in ("SK-2.3", "SK-7.1", "SK-7.2", "SK-7.3", "SK-7.4"):
            self.assertEqual(rules[rule]["status"], "passed", rules[rule])
            self.assertGreater(rules[rule]["cases"], 0, rules[rule])
        self.assertEqual(rules["SK-2.2"]["status"], "not_applicable")  # items of a worker go to several parts

    def test_a_twin_that_does_not_truncate_on_resume_fails_exactly_once_alone(self):
        r, report = self.run_sink("resumable_file_sink:ResumableFileSink", "dict:key=str,value=int,label=str",
                                  "resumable_file_sink:read_back",
                                  {"directory": "{target}", "parts": 8, "twin": "no-truncate"},
                                  "--rules", "SK-7.1,SK-7.2,SK-7.3", capabilities="{}")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        rules = {x["id"]: x["status"] for x in report["rules"]}
        self.assertEqual(rules, {"SK-7.1": "passed", "SK-7.2": "failed", "SK-7.3": "passed"})
        self.assertRegex(r.stdout, r"killed every worker after \d+ part writes, in epoch \d+; resumed on \d+ workers? "
                                   r"(from the snapshots of epoch \d+|afresh): \d+ duplicate cop")

    def test_a_line_sink_that_buffers_past_its_return_is_caught(self):
        # A str-item sink as often written: a buffered file, flushed at close.
        # Acknowledged lines sit in the process's buffer, not in the file.
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "buffered_lines.py"), "w", encoding="utf-8") as f:
                f.write(textwrap.dedent("""
                    import os
                    from bytewax.outputs import DynamicSink, StatelessSinkPartition
                    class Part(StatelessSinkPartition):
                        def __init__(self, path):
                            self.f = open(path, "a", encoding="utf-8")
                        def write_batch(self, items):
                            self.f.writelines(line + "\\n" for line in items)
                        def close(self):
                            self.f.close()
                    def lines_sink(directory):
                        class Sink(DynamicSink):
                            def build(self, step_id, worker_index, worker_count):
                                return Part(os.path.join(directory, f"{worker_index}-{os.getpid()}.txt"))
                        return Sink()
                    def read_back(config):
                        out = []
                        for name in sorted(os.listdir(config["directory"])):
                            with open(os.path.join(config["directory"], name), encoding="utf-8") as f:
                                out += f.read().split("\\n")[:-1]
                        return out
                """))
            r, report = self.run_sink("buffered_lines:lines_sink", "str", "buffered_lines:read_back",
                                      {"directory": "{target}"}, "--rules", "SK-2.1,SK-2.3", pythonpath=[tmp])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        rules = {x["id"]: x for x in report["rules"]}
        self.assertEqual(rules["SK-2.3"]["status"], "passed", rules["SK-2.3"])  # str items round trip, at close
        self.assertEqual(rules["SK-2.1"]["status"], "failed", rules["SK-2.1"])
        self.assertIn("is not in the read-back, although the sink declares durability on_return",
                      rules["SK-2.1"]["message"])


class QuickStart(unittest.TestCase):
    """docs/python.md's quick start, as a reader follows it: its files (the
    python blocks that start with "# NAME.py") in an empty folder, then its
    commands (the sh blocks), with sinkkit and python3 on PATH."""

    def follow(self, heading, must_mention, rules="SK-1.1,SK-2.3,SK-3.1,SK-6.1"):
        """The section `heading` of docs/python.md, as a reader follows it."""
        with open(os.path.join(ROOT, "docs", "python.md"), encoding="utf-8") as f:
            doc = f.read()
        section = doc.split("## " + heading, 1)[1].split("\n## ", 1)[0]
        # In the order a reader meets them: a file is there from its block on.
        steps = re.findall(r"```(\w+)\n(.*?)```", section, re.S)
        self.assertIn(must_mention, section)
        commands = 0
        with tempfile.TemporaryDirectory() as tmp:
            bin_dir = os.path.join(tmp, "bin")
            os.mkdir(bin_dir)
            os.symlink(SINKKIT, os.path.join(bin_dir, "sinkkit"))
            os.symlink(PY, os.path.join(bin_dir, "python3"))
            work = os.path.join(tmp, "work")
            os.mkdir(work)
            env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""),
                       PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "adapters", "python"),
                                                   os.path.join(EXAMPLES, "bytewax")]),
                       SINKKIT_BUDGET="3", SINKKIT_MAX_WORKERS="1", SINKKIT_RULES=rules)
            for lang, block in steps:
                if lang == "python" and block.startswith("# "):
                    with open(os.path.join(work, block.splitlines()[0][2:].strip()), "w", encoding="utf-8") as f:
                        f.write(block)
                    continue
                if lang != "sh":
                    continue
                for command in (line for line in block.splitlines() if line.strip()):
                    r = subprocess.run(command, shell=True, cwd=work, env=env, capture_output=True, text=True,
                                       timeout=600)
                    self.assertEqual(r.returncode, 0, f"{command}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
                    if command.startswith("sinkkit run"):  # rules ran, and passed (not all skipped)
                        self.assertRegex(r.stdout, r"\n[1-9]\d* passed, 0 failed", command)
                    commands += 1
        return commands

    def test_the_python_quick_start_works_as_written(self):
        self.assertGreaterEqual(self.follow("Quick start", "my_sink.py"), 3)

    def test_the_bytewax_section_works_as_written(self):
        self.assertGreaterEqual(self.follow("Bytewax sinks", "stream_sink.py",
                                            rules="SK-1.1,SK-2.3,SK-3.1,SK-6.1,SK-7.1,SK-7.2"), 2)

if __name__ == "__main__":
    SINKKIT, ROOT = sys.argv[1], sys.argv[2]
    EXAMPLES = os.path.join(ROOT, "adapters", "python", "examples")
    Report.SAMPLE = os.path.join(ROOT, "reports", "tests", "golden", "sample.json")
    unittest.main(argv=[sys.argv[0], *sys.argv[3:]])
