#!/usr/bin/env python3
"""Checks the sharded CI examples a sink vendor copies.

    check_ci_examples.py ROOT

- examples/ci/kubernetes-indexed-job.yaml against Kubernetes' own schema: the
  YAML is read into the Job model of the Kubernetes Python client (Debian's
  python3-kubernetes, generated from the API's OpenAPI schema) and written
  back; a field the schema does not have, misspelt or misplaced, is dropped
  on the way and named here; required fields are the client's checks. Then
  what makes it a sharded run: an Indexed Job of N completions whose command
  checks shard $((JOB_COMPLETION_INDEX + 1))/N at one seed.
- examples/ci/github-actions-sharded.yml: a matrix of shards 1..N whose jobs
  run `sinkkit run --shard ${{ matrix.shard }}/N` at one seed, and a gate job
  after all of them (always) that runs `sinkkit report --merge`.
- every block of docs/conformance.md after `<!-- example: PATH -->` is PATH,
  byte for byte: the docs show the files the repository ships.
Exits 1 naming each problem.
"""
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from extract_doc_files import files_of  # noqa: E402  the docs' blocks, read one way

try:
    import yaml
    from kubernetes import client
except ImportError as e:  # the test command installs both (scripts/setup.sh --tests)
    sys.exit(f"check_ci_examples: {e}: install python3-yaml and python3-kubernetes (scripts/setup.sh --tests)")

problems = []


def differences(given, written, path=""):
    """Where `written` (the model's view) lost or changed what `given` said."""
    if isinstance(given, dict) and isinstance(written, dict):
        for key, value in given.items():
            if key not in written:
                yield f"{path}.{key}: not a field of the Kubernetes schema here (dropped by the model)"
            else:
                yield from differences(value, written[key], f"{path}.{key}")
    elif isinstance(given, list) and isinstance(written, list) and len(given) == len(written):
        for i, (a, b) in enumerate(zip(given, written)):
            yield from differences(a, b, f"{path}[{i}]")
    elif given != written:
        yield f"{path}: {given!r} reads as {written!r}"


def check_kubernetes(path):
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if doc.get("apiVersion") != "batch/v1" or doc.get("kind") != "Job":
        problems.append(f"{path}: expected apiVersion batch/v1, kind Job")
        return

    class Response:  # what ApiClient.deserialize reads
        data = json.dumps(doc)

    api = client.ApiClient()
    try:
        job = api.deserialize(Response(), "V1Job")
    except (ValueError, TypeError) as e:
        problems.append(f"{path}: not a valid Job: {e}")
        return
    for d in differences(doc, api.sanitize_for_serialization(job)):
        problems.append(f"{path}: {d}")
    spec = job.spec
    n = spec.completions
    if spec.completion_mode != "Indexed" or not n or spec.parallelism != n:
        problems.append(f"{path}: expected completionMode Indexed with completions == parallelism (the shard count)")
        return
    command = " ".join(" ".join((c.command or []) + (c.args or [])) for c in spec.template.spec.containers)
    if f'--shard "$((JOB_COMPLETION_INDEX + 1))/{n}"' not in command:
        problems.append(f"{path}: the command must check shard $((JOB_COMPLETION_INDEX + 1))/{n}: {command}")
    if "--seed" not in command or "--report" not in command:
        problems.append(f"{path}: every shard needs one --seed and a --report: {command}")
    if spec.backoff_limit != 0:
        problems.append(f"{path}: backoffLimit 0: a failed shard is a finding, a retry would run other cases")


def check_actions(path):
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    jobs = doc.get("jobs", {})
    shard, gate = jobs.get("shard", {}), jobs.get("gate", {})
    shards = shard.get("strategy", {}).get("matrix", {}).get("shard", [])
    n = len(shards)
    if not n or shards != list(range(1, n + 1)):
        problems.append(f"{path}: jobs.shard.strategy.matrix.shard must be 1..N, got {shards}")
        return
    if shard.get("strategy", {}).get("fail-fast") is not False:
        problems.append(f"{path}: fail-fast must be false: the merge needs every shard")
    runs = " ".join(s.get("run", "") for s in shard.get("steps", []))
    if f"sinkkit run --shard ${{{{ matrix.shard }}}}/{n} --seed" not in runs:
        problems.append(f"{path}: the shard job must run `sinkkit run --shard ${{{{ matrix.shard }}}}/{n} --seed ...`")
    if gate.get("needs") != "shard" or gate.get("if") != "always()":
        problems.append(f"{path}: the gate job must need the shard job and run always()")
    if "sinkkit report --merge" not in " ".join(s.get("run", "") for s in gate.get("steps", [])):
        problems.append(f"{path}: the gate job must run `sinkkit report --merge`")


def check_docs(root):
    doc = root / "docs" / "conformance.md"
    shown = files_of(doc, kind="example")  # exits naming a block that is not closed, or none
    for path, text in shown.items():
        if text != (root / path).read_text(encoding="utf-8"):
            problems.append(f"{doc}: the block of {path} differs from the file")
    for wanted in ("examples/ci/github-actions-sharded.yml", "examples/ci/kubernetes-indexed-job.yaml"):
        if wanted not in shown:
            problems.append(f"{doc}: does not show {wanted} (<!-- example: {wanted} -->)")


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    check_kubernetes(root / "examples/ci/kubernetes-indexed-job.yaml")
    check_actions(root / "examples/ci/github-actions-sharded.yml")
    check_docs(root)
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print("the CI examples are valid and the docs show them")


if __name__ == "__main__":
    main()
