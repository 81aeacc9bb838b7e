#!/bin/sh
# An inventory script with _meta.hostvars: Ansible runs it once, with --list.
if [ "$1" = "--list" ]; then
cat <<'JSON'
{
  "web": {"hosts": ["w1", "w2"], "vars": {"port": 80, "ansible_group_priority": 5}, "children": ["sub"]},
  "sub": ["s1", "w1"],
  "solo": {"x": 1, "nested": {"hosts": "not a group key here"}},
  "empty": {"hosts": []},
  "all": {"vars": {"vault": {"__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n6162"}, "raw": {"__ansible_unsafe": "{{ x }}"}}},
  "_meta": {"hostvars": {"w1": {"a": 1, "big": 1e3}, "ghost": {"b": 2}, "s1": {"ansible_port": 2222}}}
}
JSON
else
  echo '{}'
fi
