package jones

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kook-project/kook/model"
)

// nodemap is a service's nodemaps znode: host -> view path relative to the
// root, in stored order. Hosts are found through an index: a service has
// thousands of them, and a linear search per entry made reading them
// quadratic.
type nodemap struct {
	hosts []string
	paths []string
	index map[string]int // host -> position in hosts
	z     znode
	old   bool // in Jones ≤ 0.7's line format; written back as JSON
}

func (nm *nodemap) len() int { return len(nm.hosts) }

func (nm *nodemap) get(host string) (string, bool) {
	if i, ok := nm.index[host]; ok {
		return nm.paths[i], true
	}
	return "", false
}

// set gives host the view path p, keeping its position if it has one, as a
// Python dict does.
func (nm *nodemap) set(host, p string) {
	if i, ok := nm.index[host]; ok {
		nm.paths[i] = p
		return
	}
	if nm.index == nil {
		nm.index = map[string]int{}
	}
	nm.index[host] = len(nm.hosts)
	nm.hosts = append(nm.hosts, host)
	nm.paths = append(nm.paths, p)
}

// remove drops host's entry and reports whether it had one.
func (nm *nodemap) remove(host string) bool {
	i, ok := nm.index[host]
	if !ok {
		return false
	}
	delete(nm.index, host)
	nm.hosts = append(nm.hosts[:i], nm.hosts[i+1:]...)
	nm.paths = append(nm.paths[:i], nm.paths[i+1:]...)
	for j := i; j < len(nm.hosts); j++ {
		nm.index[nm.hosts[j]] = j
	}
	return true
}

// marshal renders the map as Jones 1.0 writes it: one JSON object.
func (nm *nodemap) marshal() []byte {
	n := 2
	for i := range nm.hosts {
		n += len(nm.hosts[i]) + len(nm.paths[i]) + 6
	}
	buf := make([]byte, 0, n)
	buf = append(buf, '{')
	for i := range nm.hosts {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = model.AppendString(buf, nm.hosts[i])
		buf = append(buf, ':')
		buf = model.AppendString(buf, nm.paths[i])
	}
	return append(buf, '}')
}

// parseNodemap reads nodemaps as Jones 1.0 writes them, a JSON object of
// strings, or in the format of Jones ≤ 0.7 (github.com/disqus/jones 0.6):
// one "host -> /services/svc/views/env" per line. Either way a repeated
// host keeps its first position and last path, as Python's dict does.
func parseNodemap(data []byte) (*nodemap, error) {
	nm := &nodemap{index: map[string]int{}}
	var err error
	nm.old, err = scanNodemap(data, func(h, p jsonString, _ span) error {
		host, err := h.decode()
		if err != nil {
			return err
		}
		path, err := p.decode()
		if err != nil {
			return err
		}
		nm.set(host, path)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return nm, nil
}

// lookupNodemap returns host's view path without building the whole map,
// which is all a reader needs.
func lookupNodemap(data []byte, host string) (p string, ok bool, err error) {
	_, err = scanNodemap(data, func(h, v jsonString, _ span) error {
		if !h.is(host) {
			return nil
		}
		p, err = v.decode()
		ok = true
		return err
	})
	return p, ok && err == nil, err
}

// editNodemap returns data with host's entry set to *p, or removed when p
// is nil, edited in place: one scan that allocates nothing per entry,
// where decoding 10,000 entries into a map and encoding them again took
// most of an association's time. found says whether host had an entry;
// out is nil when nothing changes. ok is false where an edit in place
// cannot do (the line format, or a host listed twice), and the caller then
// parses the whole map.
func editNodemap(data []byte, host string, p *string) (out []byte, found, ok bool, err error) {
	text := bytes.TrimSpace(data)
	if len(text) == 0 {
		text = []byte("{}")
	}
	if text[0] != '{' {
		return nil, false, false, nil
	}
	n, matches := 0, 0
	same := false
	var at span
	prevEnd, nextKey := -1, -1
	sc := scanner{data: text}
	err = sc.object(func(k, v jsonString, e span) error {
		if matches == 1 && nextKey < 0 {
			nextKey = e.key
		}
		if k.is(host) {
			matches++
			at = e
			same = p != nil && v.is(*p)
		} else if matches == 0 {
			prevEnd = e.end
		}
		n++
		return nil
	})
	grown := func() []byte { return make([]byte, 0, len(text)+len(host)+len(*p)+16) }
	switch {
	case err != nil:
		return nil, false, false, fmt.Errorf("nodemaps: %w", err)
	case matches > 1:
		return nil, false, false, nil
	case matches == 0 && p == nil:
		return nil, false, true, nil
	case matches == 0:
		out = append(grown(), text[:len(text)-1]...)
		if n > 0 {
			out = append(out, ',')
		}
		out = model.AppendString(out, host)
		out = append(out, ':')
		out = model.AppendString(out, *p)
		return append(out, '}'), false, true, nil
	case same:
		return nil, true, true, nil // already there
	case p != nil:
		out = append(grown(), text[:at.val]...)
		out = model.AppendString(out, *p)
		return append(out, text[at.end:]...), true, true, nil
	}
	out = make([]byte, 0, len(text))
	switch {
	case prevEnd >= 0: // drop ',"host":"path"'
		return append(append(out, text[:prevEnd]...), text[at.end:]...), true, true, nil
	case nextKey >= 0: // the first of several: drop '"host":"path",'
		return append(append(out, text[:at.key]...), text[nextKey:]...), true, true, nil
	}
	return []byte("{}"), true, true, nil
}

// jsonString is a string as it appears in JSON, quotes removed.
type jsonString struct {
	raw     []byte
	escaped bool // raw holds backslash escapes
}

func (j jsonString) decode() (string, error) {
	if !j.escaped {
		return string(j.raw), nil
	}
	var s string
	quoted := make([]byte, 0, len(j.raw)+2)
	quoted = append(append(append(quoted, '"'), j.raw...), '"')
	if err := json.Unmarshal(quoted, &s); err != nil {
		return "", fmt.Errorf("bad string %s: %w", quoted, err)
	}
	return s, nil
}

// is reports whether j holds s, without allocating in the common case.
func (j jsonString) is(s string) bool {
	if !j.escaped {
		return string(j.raw) == s
	}
	d, err := j.decode()
	return err == nil && d == s
}

// scanNodemap calls fn with each entry in stored order, repeats included,
// and reports whether data is in the old line format. Empty data is an
// empty map, as for Jones.
func scanNodemap(data []byte, fn func(host, p jsonString, at span) error) (old bool, err error) {
	text := bytes.TrimSpace(data)
	if len(text) == 0 {
		return false, nil
	}
	if text[0] == '{' {
		sc := scanner{data: text}
		if err := sc.object(fn); err != nil {
			return false, fmt.Errorf("nodemaps: %w", err)
		}
		return false, nil
	}
	if !utf8.Valid(data) {
		return true, fmt.Errorf("nodemaps: not UTF-8")
	}
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" {
			continue
		}
		host, p, ok := strings.Cut(line, oldSep)
		if !ok || strings.Contains(p, oldSep) {
			return true, fmt.Errorf("nodemaps line %d: %q is not \"host%sview path\"", i+1, line, oldSep)
		}
		if err := fn(jsonString{raw: []byte(host)}, jsonString{raw: []byte(p)}, span{}); err != nil {
			return true, err
		}
	}
	return true, nil
}

// scanner reads one flat JSON object of strings. Strings without escapes,
// nearly all of them, are sliced out without a general JSON decoder.
type scanner struct {
	data []byte
	pos  int
}

// span locates one entry of an object: where its key starts, where its
// value starts and where it ends.
type span struct{ key, val, end int }

func (sc *scanner) object(fn func(k, v jsonString, at span) error) error {
	sc.pos++ // '{'
	sc.space()
	if sc.peek() == '}' {
		sc.pos++
		return sc.end()
	}
	for {
		sc.space()
		if sc.peek() != '"' {
			return sc.errorf("expected a string key")
		}
		at := span{key: sc.pos}
		k, err := sc.str()
		if err != nil {
			return err
		}
		sc.space()
		if sc.peek() != ':' {
			return sc.errorf("expected ':' after a key")
		}
		sc.pos++
		sc.space()
		if sc.peek() != '"' {
			host, _ := k.decode()
			return fmt.Errorf("host %q maps to %s, not a view path", host, sc.kind())
		}
		at.val = sc.pos
		v, err := sc.str()
		if err != nil {
			return err
		}
		at.end = sc.pos
		if err := fn(k, v, at); err != nil {
			return err
		}
		sc.space()
		switch sc.peek() {
		case ',':
			sc.pos++
		case '}':
			sc.pos++
			return sc.end()
		default:
			return sc.errorf("expected ',' or '}'")
		}
	}
}

// end accepts only trailing space.
func (sc *scanner) end() error {
	sc.space()
	if sc.pos != len(sc.data) {
		return sc.errorf("data after the object")
	}
	return nil
}

func (sc *scanner) peek() byte {
	if sc.pos < len(sc.data) {
		return sc.data[sc.pos]
	}
	return 0
}

func (sc *scanner) space() {
	for sc.pos < len(sc.data) {
		switch sc.data[sc.pos] {
		case ' ', '\t', '\n', '\r':
			sc.pos++
		default:
			return
		}
	}
}

// plain marks the bytes a JSON string holds as they are: not a quote, a
// backslash, a control character or part of a multi-byte character.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str reads the string at pos, which is at its opening quote.
func (sc *scanner) str() (jsonString, error) {
	start := sc.pos + 1
	d := sc.data
	escaped, ascii := false, true
	for i := start; i < len(d); i++ {
		c := d[i]
		if plain[c] {
			continue
		}
		switch {
		case c == '"':
			raw := d[start:i]
			if !ascii && !utf8.Valid(raw) {
				return jsonString{}, sc.errorf("string is not UTF-8")
			}
			sc.pos = i + 1
			return jsonString{raw: raw, escaped: escaped}, nil
		case c == '\\':
			escaped = true
			i++
		case c < 0x20:
			return jsonString{}, sc.errorf("control character in string")
		default:
			ascii = false
		}
	}
	return jsonString{}, sc.errorf("unterminated string")
}

// kind names the JSON value at pos, for errors.
func (sc *scanner) kind() string {
	switch sc.peek() {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "nothing"
	}
	return "a number"
}

func (sc *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", sc.pos, fmt.Sprintf(format, args...))
}
