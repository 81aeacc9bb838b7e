package zkstore

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
)

// A View is one materialized view of one generation as stored: gzip'd.
// Readers hold the whole compressed view before decompressing any of it,
// so what they print is all of one generation.
type View struct {
	Name       string // "list", "model", "host.<i>"
	Generation int64
	chunks     [][]byte // the gzip stream, as stored
}

// gzip returns a reader of the whole compressed view, chunk after chunk:
// joining them first would copy it all once more.
func (v *View) gzip() (*gzip.Reader, error) {
	readers := make([]io.Reader, len(v.chunks))
	for i, c := range v.chunks {
		readers[i] = bytes.NewReader(c)
	}
	return gzip.NewReader(io.MultiReader(readers...))
}

// WriteTo writes the decompressed view to w as it decompresses. A
// multi-megabyte --list streamed this way touches a few pages of memory
// instead of thousands, which is most of a short-lived reader's time.
func (v *View) WriteTo(w io.Writer) (int64, error) {
	zr, err := v.gzip()
	if err != nil {
		return 0, v.corrupt(err)
	}
	buf := make([]byte, 64<<10) // a pipe's capacity
	var total int64
	for {
		n, rerr := zr.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return total, err
			}
			total += int64(n)
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, v.corrupt(rerr)
		}
	}
}

// Bytes returns the decompressed view.
func (v *View) Bytes() ([]byte, error) {
	zr, err := v.gzip()
	if err != nil {
		return nil, v.corrupt(err)
	}
	// Sized from the gzip trailer (the length mod 2^32 of the last member,
	// all of a view of one member): growing the buffer as io.ReadAll does
	// costs thousands of page faults on a multi-megabyte view.
	var tail []byte
	for i := len(v.chunks) - 1; i >= 0 && len(tail) < 4; i-- {
		c := v.chunks[i]
		tail = append(bytes.Clone(c[max(0, len(c)-4):]), tail...)
	}
	var size int
	if len(tail) >= 4 {
		size = int(binary.LittleEndian.Uint32(tail[len(tail)-4:]))
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	if _, err := io.Copy(buf, zr); err != nil {
		return nil, v.corrupt(err)
	}
	return buf.Bytes(), nil
}

func (v *View) corrupt(err error) error {
	return fmt.Errorf("view %s of generation %d: %w", v.Name, v.Generation, err)
}

// gzipBytes compresses data at the given gzip level.
func gzipBytes(data []byte, level int) []byte {
	var b bytes.Buffer
	b.Grow(len(data)/4 + 64)
	zw, _ := gzip.NewWriterLevel(&b, level)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}
