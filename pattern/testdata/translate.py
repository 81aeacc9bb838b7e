"""Python's answers for inventory/pattern_test.go's translation test.

Reads {"globs": [...], "regexes": [...], "names": [...], "splits": [...]} on
stdin. For each glob, whether re.compile(fnmatch.translate(glob)) matches
each name (as Ansible's InventoryManager._match_list does); for each regex,
whether re.compile(regex).match(name), or the compile error; for each
split, Ansible's split_host_pattern of it.
"""
import fnmatch
import json
import re
import sys
import warnings

from ansible.inventory.manager import split_host_pattern

warnings.simplefilter("ignore")  # "Possible nested set" and the like


def matrix(compile_, patterns, names):
    out = []
    for p in patterns:
        try:
            rx = compile_(p)
        except Exception as e:
            out.append({"error": "%s: %s" % (type(e).__name__, e)})
            continue
        out.append({"match": [rx.match(n) is not None for n in names]})
    return out


req = json.load(sys.stdin)
json.dump({
    "globs": matrix(lambda p: re.compile(fnmatch.translate(p)), req["globs"], req["names"]),
    "regexes": matrix(re.compile, req["regexes"], req["names"]),
    "splits": [split_host_pattern(s) for s in req["splits"]],
}, sys.stdout)
