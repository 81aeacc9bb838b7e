package pycompat

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// YAML 1.1 scalar typing as PyYAML's Resolver and SafeConstructor do it
// (yaml/resolver.py, yaml/constructor.py). yaml.v3 types plain scalars by
// YAML 1.2, which disagrees on yes/no, 010, 1:20, 1e3, dates and more, so
// kook resolves every scalar itself.

// Tags in the long form PyYAML uses.
const (
	ytagPrefix    = "tag:yaml.org,2002:"
	ytagNull      = ytagPrefix + "null"
	ytagBool      = ytagPrefix + "bool"
	ytagInt       = ytagPrefix + "int"
	ytagFloat     = ytagPrefix + "float"
	ytagStr       = ytagPrefix + "str"
	ytagBinary    = ytagPrefix + "binary"
	ytagTimestamp = ytagPrefix + "timestamp"
	ytagMerge     = ytagPrefix + "merge"
	ytagValue     = ytagPrefix + "value"
	ytagSeq       = ytagPrefix + "seq"
	ytagMap       = ytagPrefix + "map"
	ytagOmap      = ytagPrefix + "omap"
	ytagPairs     = ytagPrefix + "pairs"
	ytagSet       = ytagPrefix + "set"
	ytagPyDict    = ytagPrefix + "python/dict"
	ytagPyUnicode = ytagPrefix + "python/unicode"
	ytagUnsafe    = "!unsafe"
	ytagVault     = "!vault"
	ytagVaultEnc  = "!vault-encrypted"
)

// The implicit resolvers, transcribed from PyYAML (re.X whitespace removed).
// Python's `$` also matches before a final newline, hence `\n?$`.
var (
	reY11Bool  = lazyRegexp(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\n?$`)
	reY11Float = lazyRegexp(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?` +
		`|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?` +
		`|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*` +
		`|[-+]?\.(?:inf|Inf|INF)` +
		`|\.(?:nan|NaN|NAN))\n?$`)
	reY11Int = lazyRegexp(`^(?:[-+]?0b[0-1_]+` +
		`|[-+]?0[0-7_]+` +
		`|[-+]?(?:0|[1-9][0-9_]*)` +
		`|[-+]?0x[0-9a-fA-F_]+` +
		`|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)\n?$`)
	reY11Merge     = lazyRegexp(`^(?:<<)\n?$`)
	reY11Null      = lazyRegexp(`^(?:~|null|Null|NULL|)\n?$`)
	reY11Timestamp = lazyRegexp(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]` +
		`|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?` +
		`(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?` +
		`(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)\n?$`)
	reY11Value = lazyRegexp(`^(?:=)\n?$`)

	// SafeConstructor.timestamp_regexp, which construction matches.
	reY11TimestampParts = lazyRegexp(`^([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)` +
		`(?:(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]*))?` +
		`(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?\n?$`)

	// What Python's float() accepts once PyYAML has lowercased the text,
	// removed '_' and the leading sign.
	reY11PyFloat = lazyRegexp(`^[-+]?(?:[0-9]+\.?[0-9]*(?:e[-+]?[0-9]+)?|\.[0-9]+(?:e[-+]?[0-9]+)?|inf|infinity|nan)$`)
)

// y11ResolveImplicit is Resolver.resolve for a plain scalar: the resolvers
// registered for the first character, in registration order.
func y11ResolveImplicit(v string) string {
	if v == "" {
		return ytagNull
	}
	c := v[0]
	switch {
	case strings.IndexByte("yYnNtTfFoO", c) >= 0 && reY11Bool().MatchString(v):
		return ytagBool
	case strings.IndexByte("-+0123456789.", c) >= 0 && reY11Float().MatchString(v):
		return ytagFloat
	case strings.IndexByte("-+0123456789", c) >= 0 && reY11Int().MatchString(v):
		return ytagInt
	case c == '<' && reY11Merge().MatchString(v):
		return ytagMerge
	case strings.IndexByte("~nN", c) >= 0 && reY11Null().MatchString(v):
		return ytagNull
	case c >= '0' && c <= '9' && reY11Timestamp().MatchString(v):
		return ytagTimestamp
	case c == '=' && reY11Value().MatchString(v):
		return ytagValue
	}
	return ytagStr
}

var y11BoolValues = map[string]bool{"yes": true, "no": false, "true": true, "false": false, "on": true, "off": false}

// constructBool is SafeConstructor.construct_yaml_bool.
func constructBool(v string) (any, error) {
	b, ok := y11BoolValues[strings.ToLower(v)]
	if !ok {
		return nil, fmt.Errorf("%q is not a YAML boolean", strings.ToLower(v))
	}
	return b, nil
}

// constructInt is SafeConstructor.construct_yaml_int.
func constructInt(v string) (any, error) {
	v = strings.ReplaceAll(v, "_", "")
	if v == "" {
		return nil, errors.New("empty integer")
	}
	sign := 1
	if v[0] == '-' {
		sign = -1
	}
	if v[0] == '+' || v[0] == '-' {
		v = v[1:]
	}
	var n *big.Int
	var err error
	switch {
	case v == "0":
		return int64(0), nil
	case strings.HasPrefix(v, "0b"):
		n, err = ParseInt(v[2:], 2)
	case strings.HasPrefix(v, "0x"):
		n, err = ParseInt(v[2:], 16)
	case strings.HasPrefix(v, "0"):
		n, err = ParseInt(v, 8)
	case strings.Contains(v, ":"):
		n = new(big.Int)
		base := big.NewInt(1)
		parts := strings.Split(v, ":")
		for i := len(parts) - 1; i >= 0; i-- {
			d, err := ParseInt(parts[i], 10)
			if err != nil {
				return nil, err
			}
			n.Add(n, d.Mul(d, base))
			base = new(big.Int).Mul(base, big.NewInt(60))
		}
	default:
		n, err = ParseInt(v, 10)
	}
	if err != nil {
		return nil, err
	}
	if sign < 0 {
		n.Neg(n)
	}
	return pnormInt(n), nil
}

// pnormInt returns n as an int64 when it fits.
func pnormInt(n *big.Int) any {
	if n.IsInt64() {
		return n.Int64()
	}
	return n
}

// ParseInt is Python's int(s, base) for the text PyYAML hands it: surrounding
// whitespace and one sign allowed, and the base's own prefix (int("0o17", 8)
// is 15).
func ParseInt(s string, base int) (*big.Int, error) {
	t := strings.TrimFunc(s, unicode.IsSpace)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if len(t) > 2 && t[0] == '0' {
		p := unicode.ToLower(rune(t[1]))
		if (base == 16 && p == 'x') || (base == 8 && p == 'o') || (base == 2 && p == 'b') {
			t = t[2:]
		}
	}
	if base == 10 && len(t) > maxIntDigits {
		//lint:ignore ST1005 Python's own message, as Ansible shows it
		return nil, fmt.Errorf("Exceeds the limit (%d digits) for integer string conversion", maxIntDigits)
	}
	n, ok := new(big.Int).SetString(t, base)
	if !ok || t == "" || t[0] == '+' || t[0] == '-' || strings.ContainsRune(t, '_') {
		return nil, fmt.Errorf("invalid literal for int() with base %d: %q", base, s)
	}
	if neg {
		n.Neg(n)
	}
	return n, nil
}

// constructFloat is SafeConstructor.construct_yaml_float.
func constructFloat(v string) (any, error) {
	v = strings.ToLower(strings.ReplaceAll(v, "_", ""))
	if v == "" {
		return nil, errors.New("empty float")
	}
	sign := 1.0
	if v[0] == '-' {
		sign = -1
	}
	if v[0] == '+' || v[0] == '-' {
		v = v[1:]
	}
	switch {
	case v == ".inf":
		return sign * math.Inf(1), nil
	case v == ".nan":
		return math.NaN(), nil
	case strings.Contains(v, ":"):
		parts := strings.Split(v, ":")
		base, total := 1.0, 0.0
		for i := len(parts) - 1; i >= 0; i-- {
			d, err := pfloat(parts[i])
			if err != nil {
				return nil, err
			}
			total += d * base
			base *= 60
		}
		return sign * total, nil
	}
	f, err := pfloat(v)
	if err != nil {
		return nil, err
	}
	return sign * f, nil
}

// pfloat is Python's float(s): no hex, no underscores (already removed),
// surrounding whitespace allowed, out-of-range values become inf or 0.
func pfloat(s string) (float64, error) {
	t := strings.ToLower(strings.TrimFunc(s, unicode.IsSpace))
	if !reY11PyFloat().MatchString(t) {
		return 0, fmt.Errorf("could not convert string to float: %q", s)
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("could not convert string to float: %q", s)
	}
	return f, nil
}

// constructTimestamp is SafeConstructor.construct_yaml_timestamp followed by
// isoformat(), which is how Ansible's JSON encoder prints dates.
func constructTimestamp(v string) (any, error) {
	m := reY11TimestampParts().FindStringSubmatch(v)
	if m == nil {
		return nil, fmt.Errorf("%q is not a timestamp", v)
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	year, month, day := atoi(m[1]), atoi(m[2]), atoi(m[3])
	if year < 1 || year > 9999 {
		return nil, fmt.Errorf("year %d is out of range", year)
	}
	if month < 1 || month > 12 {
		return nil, errors.New("month must be in 1..12")
	}
	if day < 1 || day > y11DaysIn(year, month) {
		return nil, errors.New("day is out of range for month")
	}
	date := fmt.Sprintf("%04d-%02d-%02d", year, month, day)
	if m[4] == "" {
		return pdate{iso: date, id: "date " + date}, nil
	}
	hour, minute, second := atoi(m[4]), atoi(m[5]), atoi(m[6])
	switch {
	case hour > 23:
		return nil, errors.New("hour must be in 0..23")
	case minute > 59:
		return nil, errors.New("minute must be in 0..59")
	case second > 59:
		return nil, errors.New("second must be in 0..59")
	}
	micro := 0
	if frac := m[7]; frac != "" {
		if len(frac) > 6 {
			frac = frac[:6]
		}
		micro = atoi(frac + strings.Repeat("0", 6-len(frac)))
	}
	iso := fmt.Sprintf("%sT%02d:%02d:%02d", date, hour, minute, second)
	if micro != 0 {
		iso += fmt.Sprintf(".%06d", micro)
	}
	local := time.Date(year, time.Month(month), day, hour, minute, second, micro*1000, time.UTC)
	switch {
	case m[9] != "":
		offset := atoi(m[10])*60 + atoi(m[11]) // minutes
		if offset >= 24*60 {
			return nil, errors.New("offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24)")
		}
		sign := "+"
		if m[9] == "-" && offset != 0 {
			sign = "-"
			offset = -offset
		}
		abs := max(offset, -offset)
		iso += fmt.Sprintf("%s%02d:%02d", sign, abs/60, abs%60)
		utc := local.Add(-time.Duration(offset) * time.Minute)
		return pdate{iso: iso, id: "aware " + utc.Format(time.RFC3339Nano)}, nil
	case m[8] == "Z":
		return pdate{iso: iso + "+00:00", id: "aware " + local.Format(time.RFC3339Nano)}, nil
	}
	return pdate{iso: iso, id: "naive " + iso}, nil
}

func y11DaysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// constructBinary is SafeConstructor.construct_yaml_binary: ASCII only, and
// base64.decodebytes, which skips characters outside the alphabet.
func constructBinary(v string) (any, error) {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x80 {
			return nil, errors.New("failed to convert base64 data into ascii")
		}
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' {
			b.WriteByte(c)
		}
	}
	out, err := base64.StdEncoding.DecodeString(b.String())
	if err != nil {
		return nil, fmt.Errorf("failed to decode base64 data: %w", err)
	}
	return pbytes(out), nil
}
