package segment_test

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/kook-project/kook/zkstore/segment"
)

// TestCodec: what Compress writes decompresses to the same bytes, smaller
// than it was; a blob an earlier kook gzip'd reads; one that would
// decompress past the limit is refused.
func TestCodec(t *testing.T) {
	raw := []byte(strings.Repeat(`{"ansible_host":"10.0.0.1","http_port":8080},`, 2000))
	c := segment.Compress(raw)
	if !segment.IsCompressed(c) || len(c) >= len(raw)/10 {
		t.Fatalf("Compress: %d bytes from %d, compressed %v", len(c), len(raw), segment.IsCompressed(c))
	}
	got, err := segment.Decompress(c, len(raw))
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("Decompress: %v, equal %v", err, bytes.Equal(got, raw))
	}
	if _, err := segment.Decompress(c, len(raw)-1); err == nil {
		t.Error("a blob over the limit decompressed")
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(raw)
	w.Close()
	if !segment.IsCompressed(gz.Bytes()) {
		t.Error("gzip not recognized")
	}
	if got, err := segment.Decompress(gz.Bytes(), len(raw)); err != nil || !bytes.Equal(got, raw) {
		t.Errorf("gzip'd blob: %v", err)
	}
	if _, err := segment.Decompress(gz.Bytes(), len(raw)-1); err == nil {
		t.Error("a gzip'd blob over the limit decompressed")
	}
	if segment.IsCompressed([]byte(`{"a":1}`)) {
		t.Error("JSON taken for a compressed blob")
	}
}
