package zkstore

import (
	"fmt"
	"strings"
)

// Znode names for hosts and groups.
//
// Ansible accepts names ZooKeeper cannot take as a path component ('/', "..",
// control characters, some unicode ranges), so a name is encoded: bytes in
// [A-Za-z0-9._-] are kept, every other byte of the UTF-8 name becomes %XX
// (upper-case hex), and a name made only of dots ("." or "..") has its first
// dot written as %2E. "web-01.example.com" stays readable in zkCli.sh;
// "db primary" becomes "db%20primary", "a/b" becomes "a%2Fb".

// EncodeName returns the znode name for a host or group name.
func EncodeName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isPlain(c) && !(i == 0 && c == '.' && strings.Trim(name, ".") == "") {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// DecodeName reverses EncodeName.
func DecodeName(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("bad znode name %q: truncated escape", s)
		}
		hi, lo := unhex(s[i+1]), unhex(s[i+2])
		if hi < 0 || lo < 0 {
			return "", fmt.Errorf("bad znode name %q: bad escape", s)
		}
		b = append(b, byte(hi<<4|lo))
		i += 2
	}
	return string(b), nil
}

func isPlain(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}
