package zkstore

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

// A view reads the same however its gzip stream is cut into chunks, the
// trailer split across the last ones included; a damaged one is an error
// naming the view.
func TestViewChunks(t *testing.T) {
	want := []byte(strings.Repeat(`{"hosts":["web1","web2"],"vars":{"a":1}},`, 5000))
	gz := gzipBytes(want, gzip.DefaultCompression)
	for _, cuts := range [][]int{nil, {1}, {len(gz) / 2}, {len(gz) - 3}, {len(gz) - 1}, {10, len(gz) - 2, len(gz) - 1}} {
		var chunks [][]byte
		prev := 0
		for _, c := range cuts {
			chunks = append(chunks, gz[prev:c])
			prev = c
		}
		chunks = append(chunks, gz[prev:])
		v := &View{Name: "list", Generation: 3, chunks: chunks}
		got, err := v.Bytes()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("cut at %v: Bytes gives %d bytes, %v", cuts, len(got), err)
		}
		if cap(got) != len(want)+1 {
			t.Errorf("cut at %v: Bytes did not size its buffer from the trailer (cap %d)", cuts, cap(got))
		}
		var b bytes.Buffer
		n, err := v.WriteTo(&b)
		if err != nil || n != int64(len(want)) || !bytes.Equal(b.Bytes(), want) {
			t.Errorf("cut at %v: WriteTo wrote %d bytes, %v", cuts, n, err)
		}
	}

	bad := bytes.Clone(gz)
	bad[len(bad)/2] ^= 0xff
	v := &View{Name: "list", Generation: 3, chunks: [][]byte{bad}}
	if _, err := v.WriteTo(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "view list of generation 3") {
		t.Errorf("damaged view: %v", err)
	}
}

// A view larger than one gzip member is compressed in pieces and still
// reads as one.
func TestViewInPieces(t *testing.T) {
	want := []byte(strings.Repeat(`"web-0001.example.com":{"ansible_host":"10.0.0.1","rack":"r43"},`, 3*gzipPiece/60))
	views := gzipViews([][]byte{want, []byte("{}")})
	if n := bytes.Count(views[0], []byte{0x1f, 0x8b, 0x08}); n < 3 {
		t.Errorf("%d MB compressed as %d gzip members, want one per %d MB", len(want)>>20, n, gzipPiece>>20)
	}
	v := &View{Name: "list", chunks: [][]byte{views[0]}}
	got, err := v.Bytes()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Bytes: %d bytes of %d, %v", len(got), len(want), err)
	}
	var b bytes.Buffer
	if _, err := v.WriteTo(&b); err != nil || !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("WriteTo: %d bytes of %d, %v", b.Len(), len(want), err)
	}
	small := &View{Name: "host.0", chunks: [][]byte{views[1]}}
	if got, err := small.Bytes(); err != nil || string(got) != "{}" {
		t.Fatalf("small view: %q, %v", got, err)
	}
}
