package inventory

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kook-project/kook/internal/address"
	"github.com/kook-project/kook/internal/pycompat"
)

// maxRangeHosts bounds how many names one host pattern may expand to. Ansible
// has no limit, but a pattern like h[1:99999999999] only exhausts memory.
var maxRangeHosts = 1 << 20

// asciiLetters is Python's string.ascii_letters, the alphabet of [a:z]
// ranges.
const asciiLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// ExpandHostPattern expands an inventory host pattern as Ansible's
// BaseInventoryPlugin._expand_hostpattern does (the INI and YAML plugins):
// "host:2222" and "[v6addr]:2222" carry a port, a bare IPv6 address is the
// name itself, and ranges expand: web[01:50] (zero-padded, equal widths),
// [a:f], [1:10:4], several ranges multiply, a reversed range yields nothing.
// Something that is not an address keeps its port text in the name, as in
// Ansible. hasPort reports a non-zero port: Ansible's Host ignores port 0.
// Errors carry Ansible's messages ("host range must specify end value").
func ExpandHostPattern(pattern string) (hosts []string, port int64, hasPort bool, err error) {
	hosts, p, err := expandHostPattern(pattern)
	if err != nil || p == nil || p.Sign() == 0 {
		return hosts, 0, false, err
	}
	if !p.IsInt64() {
		return nil, 0, false, fmt.Errorf("port %s of host pattern %q is out of range", p, pattern)
	}
	return hosts, p.Int64(), true, nil
}

// expandHostPattern returns the names and the port (nil when none was given,
// which the INI plugin tells from port 0).
func expandHostPattern(pattern string) ([]string, *big.Int, error) {
	name, port := pattern, (*big.Int)(nil)
	// Only a pattern with a ':' can carry a port; without one, a failed
	// address check falls back to the pattern itself, which changes nothing.
	if strings.IndexByte(pattern, ':') >= 0 {
		if host, p, ok := address.Parse(pattern); ok {
			name = host
			if p != "" {
				port, _ = new(big.Int).SetString(p, 10)
			}
		}
	}
	if strings.IndexByte(name, '[') < 0 {
		return []string{name}, port, nil
	}
	budget := maxRangeHosts
	hosts, err := expandRange(name, &budget)
	return hosts, port, err
}

// expandRange is inventory/__init__.py's expand_hostname_range, including
// the Python errors it lets through.
func expandRange(line string, budget *int) ([]string, error) {
	s := strings.Replace(line, "[", "|", 1)
	s = strings.Replace(s, "]", "|", 1)
	parts := strings.Split(s, "|")
	if len(parts) < 3 {
		return nil, fmt.Errorf("not enough values to unpack (expected 3, got %d)", len(parts))
	} else if len(parts) > 3 {
		return nil, errors.New("too many values to unpack (expected 3)")
	}
	head, nrange, tail := parts[0], parts[1], parts[2]
	bounds := strings.Split(nrange, ":")
	if len(bounds) != 2 && len(bounds) != 3 {
		return nil, errors.New("host range must be begin:end or begin:end:step")
	}
	beg, end, step := bounds[0], bounds[1], "1"
	if len(bounds) == 3 {
		step = bounds[2]
	}
	if beg == "" {
		beg = "0"
	}
	if end == "" {
		return nil, errors.New("host range must specify end value")
	}
	width := 0
	if beg[0] == '0' && len(beg) > 1 {
		width = utf8.RuneCountInString(beg)
		if width != utf8.RuneCountInString(end) {
			return nil, errors.New("host range must specify equal-length begin and end formats")
		}
	}
	seq, err := alphaRange(beg, end, step)
	if err != nil {
		return nil, err
	}
	if seq == nil {
		if seq, err = numericSeq(beg, end, step, width, budget); err != nil {
			return nil, err
		}
	}
	var hosts []string
	for _, x := range seq {
		name := head + x + tail
		if strings.IndexByte(name, '[') < 0 {
			if *budget--; *budget < 0 {
				return nil, fmt.Errorf("host range expands to more than %d hosts", maxRangeHosts)
			}
			hosts = append(hosts, name)
			continue
		}
		more, err := expandRange(name, budget)
		if err != nil {
			return nil, err
		}
		hosts = append(hosts, more...)
	}
	return hosts, nil
}

// alphaRange returns the letters of a letter range, nil (not an error) where
// Python's ValueError sends expand_hostname_range to the numeric range.
func alphaRange(beg, end, step string) ([]string, error) {
	ib, ie := strings.Index(asciiLetters, beg), strings.Index(asciiLetters, end)
	if ib < 0 || ie < 0 {
		return nil, nil
	}
	if ib > ie {
		return nil, errors.New("host range must have begin <= end")
	}
	st, err := pyInt(step)
	if err != nil || st.Sign() == 0 {
		return nil, nil
	}
	seq := []string{} // a negative step slices nothing
	if st.Sign() > 0 {
		n := 52
		if st.IsInt64() && st.Int64() < 52 {
			n = int(st.Int64())
		}
		for i := ib; i <= ie; i += n {
			seq = append(seq, asciiLetters[i:i+1])
		}
	}
	return seq, nil
}

// numericSeq is str(x).zfill(width) for x in range(int(beg), int(end)+1,
// int(step)).
func numericSeq(beg, end, step string, width int, budget *int) ([]string, error) {
	b, err := pyInt(beg)
	if err != nil {
		return nil, err
	}
	e, err := pyInt(end)
	if err != nil {
		return nil, err
	}
	st, err := pyInt(step)
	if err != nil {
		return nil, err
	}
	if st.Sign() == 0 {
		return nil, errors.New("range() arg 3 must not be zero")
	}
	stop := new(big.Int).Add(e, big.NewInt(1))
	span := new(big.Int).Sub(stop, b)
	if st.Sign() < 0 {
		span.Neg(span)
	}
	count := new(big.Int)
	if span.Sign() > 0 {
		abs := new(big.Int).Abs(st)
		count.Add(span, abs).Sub(count, big.NewInt(1)).Quo(count, abs)
	}
	if !count.IsInt64() || count.Int64() > int64(*budget) {
		return nil, fmt.Errorf("host range expands to more than %d hosts", maxRangeHosts)
	}
	seq := make([]string, 0, count.Int64())
	for x, i := new(big.Int).Set(b), int64(0); i < count.Int64(); i, x = i+1, x.Add(x, st) {
		seq = append(seq, zfill(x.String(), width))
	}
	return seq, nil
}

// zfill is Python's str.zfill: zeros after the sign up to width.
func zfill(s string, width int) string {
	if len(s) >= width {
		return s
	}
	sign := ""
	if s[0] == '-' || s[0] == '+' {
		sign, s = s[:1], s[1:]
	}
	return sign + strings.Repeat("0", width-len(sign)-len(s)) + s
}

// pyInt is Python's int(str): surrounding whitespace, a sign, Unicode decimal
// digits with single underscores between them.
func pyInt(s string) (*big.Int, error) {
	t := strings.TrimFunc(s, pycompat.IsSpace)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg, t = t[0] == '-', t[1:]
	}
	digits := make([]byte, 0, len(t))
	prevDigit, ok := false, t != ""
	for _, r := range t {
		switch {
		case r == '_' && prevDigit:
			prevDigit = false
		case unicode.IsDigit(r):
			digits = append(digits, byte('0'+decimalValue(r)))
			prevDigit = true
		default:
			ok = false
		}
	}
	if !ok || !prevDigit {
		return nil, fmt.Errorf("invalid literal for int() with base 10: %s", pycompat.Repr(s))
	}
	v, _ := new(big.Int).SetString(string(digits), 10)
	if neg {
		v.Neg(v)
	}
	return v, nil
}

// decimalValue returns the value of a Unicode decimal digit: Nd digits come
// in runs of ten starting at zero.
func decimalValue(r rune) int {
	first := r
	for unicode.IsDigit(first - 1) {
		first--
	}
	return int(r-first) % 10
}
