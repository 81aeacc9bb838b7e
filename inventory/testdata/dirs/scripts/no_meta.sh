#!/bin/sh
# An inventory script without _meta: Ansible runs it again with --host for
# each host, and reads that answer as JSON or YAML.
case "$1" in
--list) echo '{"web": ["w1", "w2"], "db": {"hosts": ["d1"], "vars": {"v": 1}}}' ;;
--host)
  case "$2" in
  w1) echo '{"a": 1}' ;;
  w2) printf 'b: yes\nc: 010\n' ;;
  *) echo '{}' ;;
  esac ;;
esac
