package pycompat

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// This file loads YAML the way Ansible's AnsibleLoader does: libyaml parses
// (yaml.v3 is a port of it), PyYAML's YAML 1.1 Resolver types the scalars and
// AnsibleConstructor builds the Python objects. The constructor is mirrored
// step by step, including when nested containers get filled: PyYAML fills
// them lazily, and "!unsafe" copies a value as it is at that moment, so
// `!unsafe [{a: 1}]` really is [{}] in Ansible.

// Load parses data as Ansible's DataLoader does: as JSON if it is valid
// JSON, otherwise as YAML. An empty document is nil. file names where data
// comes from: when a .json file is neither, the error says so, as Ansible's
// does. Errors that blame the document are *Error.
func Load(file string, data []byte) (any, error) {
	v, jerr := DecodeJSON(data)
	if jerr == nil {
		return v, nil
	}
	v, err := decodeYAML(data)
	if err != nil && strings.HasSuffix(file, ".json") {
		var ye, je *Error
		if errors.As(err, &ye) && errors.As(jerr, &je) {
			return nil, errorAt(je.Line, "invalid JSON (%v), and not YAML either (%v)", je.Err, ye.Err)
		}
	}
	return v, err
}

// yamlDoc is the state of PyYAML's constructor for one document.
type yamlDoc struct {
	src      []byte
	lines    []int // byte offset of each line start, for the "!" check
	tags     map[*yaml.Node]string
	cache    map[*yaml.Node]any       // constructed_objects
	building map[*yaml.Node]bool      // recursive_objects
	values   map[*yaml.Node]*pairList // a mapping node's node.value
	queue    []func() error           // state_generators
	conv     *Converter
}

var reYAMLErr = lazyRegexp(`^yaml: line (\d+): (.*)$`)

// decodeYAML parses one YAML document into Python objects.
func decodeYAML(data []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil { // yaml.v3 has panicked on hostile input before
			v, err = nil, errorAt(0, "yaml: %v", r)
		}
	}()
	src := acceptYAML12(data)
	root, err := parseSingleDocument(src)
	// libyaml knows the escape "\/" in double-quoted scalars, yaml.v3 does
	// not: rewrite it, one scalar per round, as "\x2F".
	for round := 0; err != nil && strings.Contains(err.Error(), "found unknown escape character") && round < 1000; round++ {
		var ye *Error
		errors.As(err, &ye)
		fixed, ok := rewriteSlashEscape(src, ye.Line)
		if !ok {
			break
		}
		src = fixed
		root, err = parseSingleDocument(src)
	}
	if err != nil || root == nil {
		return nil, err
	}
	d := &yamlDoc{
		src:      src,
		tags:     map[*yaml.Node]string{},
		cache:    map[*yaml.Node]any{},
		building: map[*yaml.Node]bool{},
		values:   map[*yaml.Node]*pairList{},
	}
	if err := d.checkAnchors(root, map[string]int{}); err != nil {
		return nil, err
	}
	d.conv = NewConverter(data)
	body := root
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, nil
		}
		body = root.Content[0]
	}
	v, err = d.construct(body)
	for err == nil && len(d.queue) > 0 {
		batch := d.queue
		d.queue = nil
		for _, fill := range batch {
			if err = fill(); err != nil {
				break
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// parseSingleDocument parses the one document of a stream, as PyYAML's
// get_single_node; nil for an empty stream.
func parseSingleDocument(src []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if err == io.EOF {
			return nil, nil // an empty stream is None
		}
		return nil, yamlError(err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err != io.EOF {
		if err != nil {
			return nil, yamlError(err)
		}
		return nil, errorAt(next.Line, "expected a single document in the stream, but found another document")
	}
	return &root, nil
}

// rewriteSlashEscape finds, from the given line (where yaml.v3 says the
// failing scalar starts; 0 for the first line), the first double-quoted
// scalar holding the escape \/ and rewrites its every \/ as \x2F. Lines
// do not move; columns after it on its first line do.
func rewriteSlashEscape(src []byte, line int) ([]byte, bool) {
	start := 0
	for l := 1; l < line && start < len(src); l++ {
		i := bytes.IndexByte(src[start:], '\n')
		if i < 0 {
			return nil, false
		}
		start += i + 1
	}
	for q := start; q < len(src) && src[q] != '\n'; q++ {
		if src[q] != '"' {
			continue
		}
		var out []byte
		found := false
		i := q + 1
		for ; i < len(src) && src[i] != '"'; i++ {
			if src[i] == '\\' && i+1 < len(src) {
				if src[i+1] == '/' {
					out = append(out, `\x2F`...)
					found = true
				} else {
					out = append(out, src[i], src[i+1])
				}
				i++
				continue
			}
			out = append(out, src[i])
		}
		if found && i < len(src) {
			fixed := append(append(append([]byte(nil), src[:q+1]...), out...), src[i:]...)
			return fixed, true
		}
	}
	return nil, false
}

// acceptYAML12 rewrites "%YAML 1.2" directives as "%YAML 1.1": libyaml
// accepts both, yaml.v3 only the latter. The length stays the same.
func acceptYAML12(data []byte) []byte {
	if !bytes.Contains(data, []byte("%YAML")) {
		return data
	}
	out := append([]byte(nil), data...)
	directives := true
	for start := 0; start < len(out); {
		end := bytes.IndexByte(out[start:], '\n')
		if end < 0 {
			end = len(out)
		} else {
			end += start
		}
		line := bytes.TrimRight(out[start:end], "\r")
		switch {
		case bytes.HasPrefix(line, []byte("...")):
			directives = true
		case directives && reYAML12().Match(line):
			copy(out[start:], "%YAML 1.1")
		case directives && (len(bytes.TrimSpace(line)) == 0 || line[0] == '#' || line[0] == '%'):
		default:
			directives = false
		}
		start = end + 1
	}
	return out
}

var reYAML12 = lazyRegexp(`^%YAML[ \t]+1\.2(?:[ \t#]|$)`)

// yamlError turns a yaml.v3 error into an *Error with its line.
func yamlError(err error) error {
	msg := err.Error()
	line := 0
	if m := reYAMLErr().FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = "yaml: " + m[2]
	}
	// yaml.v3 reports scanner errors by 1-based line but parser errors by
	// the 0-based line of the construct being parsed (or none for line 0).
	if reParserErr().MatchString(msg) {
		line++
	}
	return errorAt(line, "%s", msg)
}

var reParserErr = lazyRegexp(`^yaml: (?:did not find expected|found undefined tag handle|found duplicate %|found incompatible YAML)`)

// checkAnchors rejects a redefined anchor, as libyaml's composer does.
func (d *yamlDoc) checkAnchors(n *yaml.Node, seen map[string]int) error {
	if n.Anchor != "" && n.Kind != yaml.AliasNode {
		if first, ok := seen[n.Anchor]; ok {
			return errorAt(n.Line, "found duplicate anchor %q; first occurrence on line %d", n.Anchor, first)
		}
		seen[n.Anchor] = n.Line
	}
	for _, c := range n.Content {
		if err := d.checkAnchors(c, seen); err != nil {
			return err
		}
	}
	return nil
}

func yderef(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// tag returns the node's tag in PyYAML's long form, resolving untagged
// scalars by YAML 1.1.
func (d *yamlDoc) tag(n *yaml.Node) string {
	if t, ok := d.tags[n]; ok {
		return t
	}
	if n.Kind == yaml.ScalarNode && n.Style == 0 && n.Anchor == "" {
		return y11ResolveImplicit(n.Value) // cheap: not worth a map entry
	}
	var t string
	switch {
	case n.Style&yaml.TaggedStyle != 0:
		t = n.Tag
		if strings.HasPrefix(t, "!!") {
			t = ytagPrefix + t[2:]
		}
	case n.Kind == yaml.SequenceNode:
		t = ytagSeq
	case n.Kind == yaml.MappingNode:
		t = ytagMap
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 || d.bangTagged(n):
		// libyaml marks a scalar "plain implicit" when it is plain or
		// carries the non-specific tag "!", so `! "123"` is the int 123.
		t = y11ResolveImplicit(n.Value)
	default:
		t = ytagStr
	}
	d.tags[n] = t
	return t
}

// bangTagged reports whether the node's properties include the non-specific
// tag "!", which yaml.v3 does not record: it reads the source text at the
// node's position (anchor and tag, in either order).
func (d *yamlDoc) bangTagged(n *yaml.Node) bool {
	if d.lines == nil {
		d.lines = []int{0}
		if bytes.HasPrefix(d.src, []byte("\xef\xbb\xbf")) {
			d.lines[0] = 3
		}
		for i := 0; i < len(d.src); i++ {
			switch d.src[i] {
			case '\r':
				if i+1 < len(d.src) && d.src[i+1] == '\n' {
					i++
				}
				d.lines = append(d.lines, i+1)
			case '\n':
				d.lines = append(d.lines, i+1)
			}
		}
	}
	if n.Line < 1 || n.Line > len(d.lines) {
		return false
	}
	pos := d.lines[n.Line-1]
	for col := 1; col < n.Column && pos < len(d.src); col++ {
		_, size := utf8.DecodeRune(d.src[pos:])
		pos += size
	}
	for range 2 {
		if pos >= len(d.src) || (d.src[pos] != '&' && d.src[pos] != '!') {
			return false
		}
		end := pos
		for end < len(d.src) && !strings.ContainsRune(" \t\r\n", rune(d.src[end])) {
			end++
		}
		if string(d.src[pos:end]) == "!" {
			return true
		}
		for pos = end; pos < len(d.src) && (d.src[pos] == ' ' || d.src[pos] == '\t'); pos++ {
		}
	}
	return false
}

func (d *yamlDoc) errorf(n *yaml.Node, format string, args ...any) error {
	return errorAt(n.Line, format, args...)
}

func ykindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	}
	return "scalar"
}
