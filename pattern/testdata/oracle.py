"""Ansible oracle for inventory/pattern_test.go.

Reads {"source": PATH, "patterns": [...]} on stdin and writes JSON on stdout.

For each pattern it runs `ansible PATTERN -i PATH --list-hosts`: the same
entry point as /usr/bin/ansible (ansible.cli.adhoc.main), in this process,
which saves Ansible's start-up time per pattern. It records the hosts that
run prints and its exit code and, when it lists no host, asks a fresh
InventoryManager for the same pattern to record the error, if any, that the
CLI turns into a warning and "hosts (0)". It also dumps the inventory as
Ansible holds it: groups and hosts in dict order, each group's hosts and
children in order, the vars set in the source, and priorities.
"""
import contextlib
import io
import json
import sys

from ansible.cli.adhoc import main as adhoc_main
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.utils.context_objects import GlobalCLIArgs

# Ansible sets these on every host, and on a group named like a host.
INTERNAL = ("inventory_file", "inventory_dir")


def api_error(source, pattern):
    inventory = InventoryManager(loader=DataLoader(), sources=[source])
    try:
        inventory.list_hosts(pattern)
    except Exception as e:
        return "%s: %s" % (type(e).__name__, e)
    return None


def run(source, pattern):
    # Each run parses its own arguments; drop the previous run's.
    GlobalCLIArgs._Singleton__instance = None
    out = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out):
        try:
            adhoc_main(["ansible", pattern, "-i", source, "--list-hosts"])
        except SystemExit as e:
            code = e.code
    res = {"pattern": pattern, "code": code, "hosts": None, "error": None}
    lines = out.getvalue().splitlines()
    for n, line in enumerate(lines):
        if line.startswith("  hosts (") and line.endswith("):"):
            count = int(line[len("  hosts ("):-2])
            res["hosts"] = [h[4:] for h in lines[n + 1:n + 1 + count]]
    if not res["hosts"]:  # an error leaves the CLI nothing to list
        res["error"] = api_error(source, pattern)
    return res


def dump(source):
    data = InventoryManager(loader=DataLoader(), sources=[source])._inventory
    return {
        "groups": [{
            "name": g.name,
            "hosts": [h.name for h in g.hosts],
            "children": [c.name for c in g.child_groups],
            "vars": {k: v for k, v in g.vars.items() if k not in INTERNAL},
            "priority": g.priority,
        } for g in data.groups.values()],
        "hosts": [{
            "name": h.name,
            "vars": {k: v for k, v in h.vars.items() if k not in INTERNAL},
        } for h in data.hosts.values()],
    }


def main():
    req = json.load(sys.stdin)
    source = req["source"]
    results = [run(source, p) for p in req["patterns"]]
    json.dump({"inventory": dump(source), "results": results}, sys.stdout)


main()
