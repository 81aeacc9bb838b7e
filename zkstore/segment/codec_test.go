package segment_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
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

// BenchmarkDecompress compares zstd with gzip (what kook used before) on
// a hostvars-like segment of about 48 kB: the work --list does per
// segment. `go test ./zkstore/segment -run '^$' -bench Decompress`.
func BenchmarkDecompress(b *testing.B) {
	var raw []byte
	for i := 0; len(raw) < 48<<10; i++ {
		raw = fmt.Appendf(raw, `"host-%05d.example.com":{"ansible_host":"10.0.%d.%d","http_port":%d,"env":"prod"},`, i, i/256, i%256, 8000+i%7)
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.DefaultCompression)
	w.Write(raw)
	w.Close()
	for _, c := range []struct {
		name string
		data []byte
	}{{"zstd", segment.Compress(raw)}, {"gzip", gz.Bytes()}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := segment.Decompress(c.data, 1<<20); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(c.data)), "stored-bytes")
		})
	}
}
