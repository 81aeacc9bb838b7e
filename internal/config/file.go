package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseFile reads a config file: one "key: value" a line, keys zk, root,
// timeout, auth, history_keep and history_days, each at most once. Blank lines and lines starting with #
// are skipped, and a value may be followed by " # comment". A value is
// taken as written unless quoted: "double quotes" take Go's (and YAML's)
// backslash escapes, 'single quotes' a doubled ” for a quote. The file is
// the flat subset of YAML that kook always wrote; anything else (an unknown
// key, indentation, lists, anchors, a plain value holding ": " or starting
// with a YAML indicator) is an error naming name and the line, so that a
// mistake cannot silently leave a setting at its default.
func ParseFile(name string, data []byte) (File, error) {
	var f File
	seen := map[string]bool{}
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		fail := func(format string, args ...any) (File, error) {
			return File{}, fmt.Errorf("config %s:%d: %s", name, n, fmt.Sprintf(format, args...))
		}
		line = strings.TrimSuffix(line, "\r")
		if i == 0 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if t := strings.TrimSpace(line); t == "" || t[0] == '#' {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			return fail("unexpected indentation: want key: value")
		}
		key, rest, ok := strings.Cut(line, ":")
		if !ok || rest != "" && rest[0] != ' ' && rest[0] != '\t' {
			return fail("%q: want key: value", line)
		}
		if seen[key] {
			return fail("%s set twice", key)
		}
		seen[key] = true
		value, err := parseValue(strings.TrimSpace(rest))
		if err != nil {
			return fail("%s: %v", key, err)
		}
		switch key {
		case "zk":
			f.ZK = value
		case "root":
			f.Root = value
		case "auth":
			f.Auth = value
		case "timeout":
			if value == "" {
				break
			}
			d, err := time.ParseDuration(value)
			if err != nil {
				return fail("timeout: %v", err)
			}
			f.Timeout = d
		case "history_keep", "history_days":
			if value == "" {
				break
			}
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 || (key == "history_keep" && n == 0) {
				return fail("%s: %q is not a positive whole number", key, value)
			}
			if key == "history_keep" {
				f.HistoryKeep = n
			} else if f.HistoryDays = n; n == 0 {
				f.HistoryDays = -1
			}
		default:
			return fail("unknown key %q (want zk, root, timeout, auth, history_keep or history_days)", key)
		}
	}
	return f, nil
}

// parseValue reads what follows "key:", already trimmed.
func parseValue(s string) (string, error) {
	var value, after string
	switch {
	case s == "" || s[0] == '#':
		return "", nil
	case s[0] == '"':
		end := closingQuote(s)
		if end < 0 {
			return "", fmt.Errorf("unterminated double-quoted value")
		}
		v, err := strconv.Unquote(s[:end+1])
		if err != nil {
			return "", fmt.Errorf("bad double-quoted value %s", s[:end+1])
		}
		value, after = v, s[end+1:]
	case s[0] == '\'':
		var b strings.Builder
		i := 1
		for {
			j := strings.IndexByte(s[i:], '\'')
			if j < 0 {
				return "", fmt.Errorf("unterminated single-quoted value")
			}
			b.WriteString(s[i : i+j])
			i += j + 1
			if i == len(s) || s[i] != '\'' {
				break
			}
			b.WriteByte('\'')
			i++
		}
		value, after = b.String(), s[i:]
	default:
		value = s
		for i := 1; i < len(s); i++ {
			if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
				value = strings.TrimRight(s[:i], " \t")
				break
			}
		}
		if strings.ContainsRune("[]{}&*!|>%@`,", rune(value[0])) || indicator(value, '-') || indicator(value, '?') {
			return "", fmt.Errorf("%q starts with a YAML indicator: quote it", value)
		}
		if strings.Contains(value, ": ") || strings.HasSuffix(value, ":") {
			return "", fmt.Errorf("%q holds ': ': quote it", value)
		}
		return value, nil
	}
	if rest := strings.TrimLeft(after, " \t"); rest != "" && (rest[0] != '#' || rest == after) {
		return "", fmt.Errorf("unexpected %q after the quoted value", after)
	}
	return value, nil
}

// indicator reports whether s starts with the block indicator c: c alone or
// followed by a space.
func indicator(s string, c byte) bool {
	return s[0] == c && (len(s) == 1 || s[1] == ' ' || s[1] == '\t')
}

// closingQuote returns the index of the '"' that closes the double-quoted
// string at the start of s, or -1.
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}
