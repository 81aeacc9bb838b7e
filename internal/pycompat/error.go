package pycompat

import (
	"fmt"
	"regexp"
	"sync"
)

// An Error is a document the loaders refuse, with the line Python would
// blame (0 when the whole document is at fault). Its text is the message
// alone: the caller, who knows the file, places it.
type Error struct {
	Line int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

func errorAt(line int, format string, args ...any) error {
	return &Error{Line: line, Err: fmt.Errorf(format, args...)}
}

// lazyRegexp compiles expr on first use, so that a program that links this
// package without loading anything pays nothing at start-up.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
