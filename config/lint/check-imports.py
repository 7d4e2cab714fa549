#!/usr/bin/env python3
"""Every target names, in Package.swift, every module its sources import.

Swift lets a target import a module it reaches only through another target's dependencies; that
builds today and breaks the day the other target drops it, and it hides the real graph from a
reader of the manifest. This reads the manifest as SwiftPM sees it (`swift package
dump-package`) and each target's `import` lines, and lists what is imported but undeclared.
Also: only a C library's wrapper imports it (SQLite → CSQLite, Kafka → CRdKafka, Mongo → CMongoC).
"""
import json
import pathlib
import re
import subprocess
import sys

# Modules of the toolchain and the OS: never declared in a manifest.
SYSTEM_MODULES = {
    "Foundation", "FoundationEssentials", "FoundationNetworking", "Dispatch", "Glibc", "Musl",
    "Darwin", "Synchronization", "Testing", "XCTest", "_Concurrency", "os",
}
# Each C library has one wrapper target; nobody else imports its module.
C_WRAPPERS = {"CSQLite": "SQLite", "CRdKafka": "Kafka", "CMongoC": "Mongo"}
IMPORT = re.compile(
    r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:public |package |internal |private |fileprivate )?"
    r"import\s+(?:(?:struct|class|enum|protocol|typealias|func|var|let)\s+)?([A-Za-z_][A-Za-z0-9_]*)"
)


def declared(target):
    names = set()
    for dependency in target.get("dependencies", []):
        for kind in ("byName", "target", "product"):
            if kind in dependency:
                names.add(dependency[kind][0])
    return names


def imported(folder):
    modules = {}
    for source in sorted(folder.rglob("*.swift")):
        in_string = False  # inside a multi-line literal (a test's Python script, say)
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if line.count('"""') % 2:
                in_string = not in_string
                continue
            match = None if in_string else IMPORT.match(line)
            if match:
                modules.setdefault(match.group(1), f"{source}:{number}")
    return modules


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    manifest = json.loads(subprocess.run(
        ["swift", "package", "dump-package"], cwd=root, check=True, capture_output=True, text=True
    ).stdout)
    problems = []
    for target in manifest["targets"]:
        if target["type"] == "system":
            continue
        name = target["name"]
        folder = root / (target.get("path") or f"Sources/{name}")
        names = declared(target)
        for module, where in imported(folder).items():
            if module in SYSTEM_MODULES or module == name:
                continue
            if module in C_WRAPPERS and C_WRAPPERS[module] != name:
                problems.append(f"{where}: only {C_WRAPPERS[module]} imports {module}")
            elif module not in names:
                problems.append(f"{where}: {name} imports {module} but Package.swift does not name it")
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} undeclared import(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
