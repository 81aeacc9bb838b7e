package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"unicode/utf8"

	"github.com/kook-project/kook/internal/pycompat"
	"github.com/kook-project/kook/model"
)

// ErrSourceTooLarge marks a source larger than kook reads from one source
// (Options.MaxSourceBytes).
var ErrSourceTooLarge = errors.New("more than kook reads from one source")

func tooLarge(max int64) error {
	return fmt.Errorf("%w (%s)", ErrSourceTooLarge, formatBytes(max))
}

// formatBytes writes n in the largest binary unit that divides it.
func formatBytes(n int64) string {
	for _, u := range []struct {
		shift uint
		name  string
	}{{30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d %s", n>>u.shift, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// ReadSourceFile reads a source or vars file, refusing one larger than max
// bytes with a *ParseError wrapping ErrSourceTooLarge; a file the system
// says is larger is refused before it is read. A missing file is a
// *ParseError wrapping fs.ErrNotExist.
func ReadSourceFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &ParseError{File: path, Err: fs.ErrNotExist}
		}
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > max {
		return nil, &ParseError{File: path, Err: fmt.Errorf("%d bytes, %w", st.Size(), tooLarge(max))}
	}
	data, err := readAtMost(f, max)
	if errors.Is(err, ErrSourceTooLarge) {
		return nil, &ParseError{File: path, Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// readAtMost reads r to its end, failing with ErrSourceTooLarge past max
// bytes. It reads in chunks and joins them at the end, so that refusing a
// source of unknown size (a device, a pipe) costs max bytes of memory, not
// the twice that a doubling buffer would.
func readAtMost(r io.Reader, max int64) ([]byte, error) {
	var chunks [][]byte
	var total int64
	for {
		buf := make([]byte, min(1<<20, max+1-total))
		n, err := io.ReadFull(r, buf)
		chunks = append(chunks, buf[:n])
		total += int64(n)
		if total > max {
			return nil, tooLarge(max)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return bytes.Join(chunks, nil), nil
}

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

// checkSize refuses, at file:line, a value no store record could hold
// (model.MaxRecordBytes), before anything reaches the store.
func checkSize(file string, line int, key string, v model.Value) error {
	if n := model.JSONSize(v, model.MaxRecordBytes); n > model.MaxRecordBytes {
		return errorf(file, line, "var %s: its value alone is over %d bytes as JSON, more than one ZooKeeper record can hold",
			quoteName(key), model.MaxRecordBytes)
	}
	return nil
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
