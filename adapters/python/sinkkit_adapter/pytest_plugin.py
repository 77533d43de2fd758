"""sinkkit's pytest plugin: the rule catalogue as pytest items.

    pytest --sinkkit mypkg.sinks:node [--sinkkit-read-back jsonl] [--sinkkit-strict]
           [--sinkkit-args "--budget 50 --seed 7"]

collects one item per rule of `sinkkit rules` for the node and runs the suite
once (`sinkkit run ... -- python3 -m sinkkit_adapter mypkg.sinks:node`): a
passed rule passes; a failed MUST rule fails with the shrunk counterexample
and the replay command; a SHOULD rule that fails warns (fails under
--sinkkit-strict); an untested or not applicable rule is skipped with its
reason. Or, in a test of your own, the `sinkkit` fixture:

    def test_my_sink(sinkkit):
        sinkkit.check("mypkg.sinks:node", read_back="jsonl")

The rules stay one implementation: the plugin drives the `sinkkit` command,
found by --sinkkit-bin, else the SINKKIT environment variable, else PATH.
Loaded by its entry point (an installed sinkkit) or `-p sinkkit_adapter.pytest_plugin`.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import warnings

import pytest


class SinkkitShouldWarning(UserWarning):
    """A SHOULD rule the sink fails (a failure under --sinkkit-strict)."""


class SinkkitError(Exception):
    pass


def pytest_addoption(parser):
    group = parser.getgroup("sinkkit", "sink conformance (sinkkit)")
    group.addoption("--sinkkit", action="append", default=[], metavar="MODULE:NODE",
                    help="check this loom sink node against sinkkit's rule catalogue, one item per rule")
    group.addoption("--sinkkit-read-back", default=None, metavar="SPEC",
                    help="its read-back: MODULE:FUNC or jsonl / sqlite / postgres (python3 -m sinkkit_adapter --help)")
    group.addoption("--sinkkit-args", default="", metavar="ARGS",
                    help='more options for `sinkkit run`, e.g. "--budget 50 --seed 7"')
    group.addoption("--sinkkit-adapter-args", default="", metavar="ARGS",
                    help='more options for the adapter, e.g. "--key-field id"')
    group.addoption("--sinkkit-strict", action="store_true", help="SHOULD rules that fail fail the item")
    group.addoption("--sinkkit-bin", default=None, help="the sinkkit command (default: $SINKKIT, else PATH)")


def sinkkit_binary(config=None):
    given = (config.getoption("--sinkkit-bin") if config is not None else None) or os.environ.get("SINKKIT")
    found = given or shutil.which("sinkkit")
    if not found:
        raise SinkkitError("the sinkkit command was not found: put it on PATH, set SINKKIT, or give --sinkkit-bin")
    return found


def _adapter_command(spec, read_back, adapter_args):
    cmd = [sys.executable, "-m", "sinkkit_adapter", spec]
    if read_back:
        cmd += ["--read-back", read_back]
    return cmd + list(adapter_args)


def _environment():
    # The sink process imports what this test session imports.
    env = dict(os.environ)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = [os.getcwd(), here] + [p for p in sys.path if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


class SuiteRun:
    """One `sinkkit run` of a node: the JSON result and each rule's text."""

    def __init__(self, binary, spec, read_back=None, run_args=(), adapter_args=()):
        self.binary, self.spec = binary, spec
        with tempfile.TemporaryDirectory(prefix="sinkkit-pytest-") as reports:
            cmd = [binary, "run", "--report", reports, "--report-formats", "json,text", *run_args, "--",
                   *_adapter_command(spec, read_back, adapter_args)]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=_environment())
            self.returncode, self.stdout, self.stderr = proc.returncode, proc.stdout, proc.stderr
            self.command = shlex.join(cmd)
            self.result, self.text = None, ""
            for name in sorted(os.listdir(reports)):
                with open(os.path.join(reports, name), encoding="utf-8") as f:
                    if name.endswith(".json"):
                        self.result = json.load(f)
                    elif name.endswith(".txt"):
                        self.text = f.read()
        if self.result is None:
            raise SinkkitError(f"`{self.command}` wrote no result (exit {self.returncode}):\n{self.stderr[-4000:]}")
        self.rules = {r["id"]: r for r in self.result.get("rules", [])}

    def rule_text(self, rule_id):
        """The text report's block for one rule (its counterexample and replay command)."""
        blocks = ("\n" + self.text).split("\n--- ")
        for block in blocks:
            head = block.split("\n", 1)[0]
            if f": {rule_id} " in head:
                return "--- " + block.strip()
        r = self.rules.get(rule_id, {})
        return f"{rule_id}: {r.get('status')}: {r.get('message', '')}\n  reproduce: {r.get('reproduce', '')}"

    def problem(self):
        """Why the run is not conformant, or None."""
        if self.result.get("infrastructure_error"):
            return self.result["infrastructure_error"]
        if self.returncode == 0:
            return None
        failed = [rid for rid, r in self.rules.items() if r["status"] in ("failed", "warning")]
        return "\n\n".join([self.result.get("summary", "")] + [self.rule_text(rid) for rid in failed])


# --- pytest --sinkkit SPEC: one item per rule -------------------------------

class SinkkitSuite(pytest.Collector):
    def __init__(self, *, spec, **kwargs):
        super().__init__(**kwargs)
        self.spec = spec
        self._run = None

    def run(self):
        if self._run is None:
            cfg = self.config
            try:
                self._run = SuiteRun(sinkkit_binary(cfg), self.spec, cfg.getoption("--sinkkit-read-back"),
                                     shlex.split(cfg.getoption("--sinkkit-args")),
                                     shlex.split(cfg.getoption("--sinkkit-adapter-args")))
            except SinkkitError as e:
                self._run = e  # every rule's item reports it; the suite is not run again per item
            else:
                _remember_notes(cfg, self._run)
        if isinstance(self._run, SinkkitError):
            raise self._run
        return self._run

    def collect(self):
        proc = subprocess.run([sinkkit_binary(self.config), "rules", "--json"], capture_output=True, text=True)
        if proc.returncode != 0:
            raise SinkkitError(f"`sinkkit rules --json` failed: {proc.stderr}")
        for rule in json.loads(proc.stdout):
            yield SinkkitRule.from_parent(self, name=f"{rule['id']} {rule['title']}", rule=rule)


class SinkkitRule(pytest.Item):
    def __init__(self, *, rule, **kwargs):
        super().__init__(**kwargs)
        self.rule = rule

    def runtest(self):
        run = self.parent.run()
        if run.result.get("infrastructure_error"):
            raise SinkkitError(run.result["infrastructure_error"])
        r = run.rules.get(self.rule["id"])
        if r is None:
            pytest.skip("not run")
        status = r["status"]
        if status in ("untested", "not_applicable"):
            pytest.skip(f"{status}: {r.get('message', '')}")
        if status == "warning" and not self.config.getoption("--sinkkit-strict"):
            warnings.warn(SinkkitShouldWarning(run.rule_text(self.rule["id"])))
            return
        if status in ("failed", "warning"):
            raise SinkkitError(run.rule_text(self.rule["id"]))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, SinkkitError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.parent.spec, None, f"{self.parent.spec} {self.name}"


# --- how the passed rules were tested ---------------------------------------

def _remember_notes(config, run):
    """A passed rule's message says how it was tested (how many cases reached
    a storage fault, a call that was slow): pytest shows a passed item's
    output nowhere, so the session's summary lists them."""
    notes = config.__dict__.setdefault("_sinkkit_notes", [])
    for rule_id, r in run.rules.items():
        if r.get("status") == "passed" and r.get("message"):
            notes.append(f"{run.spec} {rule_id} passed ({r.get('cases', 0)} cases; {r['message']})")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    notes = config.__dict__.get("_sinkkit_notes")
    if notes:
        terminalreporter.section("sinkkit: how the passed rules were tested")
        for line in notes:
            terminalreporter.write_line(line)


def pytest_collection_modifyitems(session, config, items):
    for spec in config.getoption("--sinkkit"):
        suite = SinkkitSuite.from_parent(session, name=spec, spec=spec)
        items.extend(suite.collect())


# --- the fixture -------------------------------------------------------------

def _spec_of(node):
    if isinstance(node, str):
        return node
    module = sys.modules.get(getattr(node, "__module__", None) or type(node).__module__)
    for name, value in vars(module or object()).items():
        if value is node:
            return f"{module.__name__}:{name}"
    raise SinkkitError(f"cannot find {node!r} by name in its module: pass 'MODULE:NAME' instead")


class SinkkitFixture:
    def __init__(self, config):
        self._config = config

    def run(self, node, read_back=None, args=(), adapter_args=()):
        """Runs the catalogue on `node` ("MODULE:NAME", or the object); returns the SuiteRun."""
        run = SuiteRun(sinkkit_binary(self._config), _spec_of(node), read_back, list(args), list(adapter_args))
        _remember_notes(self._config, run)
        return run

    def check(self, node, read_back=None, args=(), adapter_args=()):
        """As run, and fails the test unless the sink is conformant."""
        run = self.run(node, read_back, args, adapter_args)
        problem = run.problem()
        if problem:
            pytest.fail(problem, pytrace=False)
        return run


@pytest.fixture
def sinkkit(request):
    """Checks a loom sink node against sinkkit's rules: sinkkit.check("mypkg.sinks:node", read_back="jsonl")."""
    return SinkkitFixture(request.config)
