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
