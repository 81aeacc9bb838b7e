package inventory

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/kook-project/kook/internal/pycompat"
)

// ParseError is an error in an inventory or vars file, located by file and
// line (line 0 when the whole file is at fault).
type ParseError struct {
	File string
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// pyError places an error of package pycompat in file, with the line
// pycompat blamed.
func pyError(file string, err error) error {
	var e *pycompat.Error
	if errors.As(err, &e) {
		return &ParseError{File: file, Line: e.Line, Err: e.Err}
	}
	return &ParseError{File: file, Err: err}
}

// errorf returns a *ParseError for file and line.
func errorf(file string, line int, format string, args ...any) error {
	return &ParseError{File: file, Line: line, Err: fmt.Errorf(format, args...)}
}

// quoteName quotes a host or group name for a message, cut short when it
// is too long to read (a name over model.MaxNameBytes can be megabytes).
func quoteName(name string) string {
	const keep = 64
	if len(name) <= keep {
		return fmt.Sprintf("%q", name)
	}
	cut := keep
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return fmt.Sprintf("%q... (%d bytes)", name[:cut], len(name))
}
