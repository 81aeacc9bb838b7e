// Package pycompat reads text as Ansible's Python does: YAML 1.1 as
// PyYAML with Ansible's constructor loads it, JSON as Python's json.loads
// with AnsibleJSONDecoder, Python literals as ast.literal_eval evaluates
// them, and str operations (isspace, splitlines, repr) Ansible's parsers
// lean on. Documents load into Python-like objects ([Dict], [List], str,
// int...) that keep the line of every key, which callers walk as Ansible's
// plugins walk theirs, and a [Converter] turns them into model values,
// failing where ansible-inventory's JSON output fails.
//
// [ParseValue] types one VAR=VALUE value as Ansible users expect (YAML 1.1).
//
// It does not know inventories: sources, group_vars/ and host ranges are
// package inventory's, writing YAML is package export's.
package pycompat
