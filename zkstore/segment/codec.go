package segment

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Compress compresses a segment, an index or a change record with zstd.
// Its fastest level, with a small window (segments are about 48 kB),
// compresses them smaller than gzip's default level (BenchmarkDecompress
// reports both sizes), and its encoder costs an edit, which compresses two
// or three small blobs, no more to set up than gzip's: the default level's
// tables cost a one-host edit 4-7 ms of CPU and about 4 MiB (make bench,
// perf stat).
func Compress(raw []byte) []byte {
	return encoder().EncodeAll(raw, make([]byte, 0, len(raw)/4+64))
}

// Decompress reverses Compress, refusing a blob that would decompress to
// more than limit bytes before allocating for it. Blobs gzip'd by an
// earlier kook (they start with gzip's magic bytes) read too.
func Decompress(data []byte, limit int) ([]byte, error) {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		return gunzip(data, limit)
	}
	raw, err := decoder(limit).DecodeAll(data, nil)
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	return raw, nil
}

// IsCompressed reports whether data starts as Compress's output (or an
// earlier kook's gzip) does.
func IsCompressed(data []byte) bool {
	return bytes.HasPrefix(data, zstdMagic) || len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
}

var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// The encoder and decoders are made on first use, once per process: they
// are safe for concurrent use, and kook-inventory --host, which decodes
// one segment, should not pay for what --list needs.
var (
	encoder = sync.OnceValue(func() *zstd.Encoder {
		e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
			zstd.WithLowerEncoderMem(true), zstd.WithWindowSize(1<<18))
		if err != nil {
			panic(err) // only for bad options
		}
		return e
	})
	decodersMu sync.Mutex
	decoders   = map[int]*zstd.Decoder{}
)

// decoder returns the decoder that refuses output over limit.
func decoder(limit int) *zstd.Decoder {
	decodersMu.Lock()
	defer decodersMu.Unlock()
	d := decoders[limit]
	if d == nil {
		var err error
		d, err = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(uint64(limit)), zstd.WithDecoderConcurrency(0))
		if err != nil {
			panic(err) // only for bad options
		}
		decoders[limit] = d
	}
	return d
}

// gunzip decompresses data, refusing more than limit bytes.
func gunzip(data []byte, limit int) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not compressed as kook compresses: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	if len(raw) > limit {
		return nil, fmt.Errorf("more than %d bytes when decompressed", limit)
	}
	return raw, nil
}
