// Package zklog reads ZooKeeper's transaction log files (dataDir/version-2/
// log.*) to tell how many bytes the server wrote for the transactions
// between two points: what a kook change costs the server, beyond what
// the client sends.
package zklog

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Record is one transaction of the log.
type Record struct {
	Zxid  int64
	Bytes int // the record as stored: checksum, length, transaction, end mark
}

// Records reads every transaction in dir (a server's dataDir; its
// version-2 subdirectory is looked in), in zxid order. A log file is
// preallocated with zeros past its last record, where reading stops.
func Records(dir string) ([]Record, error) {
	files, err := filepath.Glob(filepath.Join(dir, "version-2", "log.*"))
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return logStart(files[i]) < logStart(files[j]) })
	var out []Record
	for _, f := range files {
		recs, err := readFile(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, recs...)
	}
	return out, nil
}

func logStart(name string) int64 {
	n, _ := strconv.ParseInt(strings.TrimPrefix(filepath.Ext(name), "."), 16, 64)
	return n
}

// The file: a header (magic "ZKLG", version, dbid), then records:
// checksum (8 bytes), length (4), the transaction (length bytes: its
// header starts with client id (8), cxid (4), zxid (8)), and 'B'.
func readFile(name string) ([]Record, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [16]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	if string(hdr[:4]) != "ZKLG" {
		return nil, errors.New("not a ZooKeeper transaction log")
	}
	var out []Record
	for {
		var head [12]byte
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return out, nil
		}
		n := int(binary.BigEndian.Uint32(head[8:]))
		if n == 0 {
			return out, nil // the preallocated zeros
		}
		if n < 20 || n > 64<<20 {
			return nil, fmt.Errorf("record of %d bytes", n)
		}
		txn := make([]byte, n+1)
		if _, err := io.ReadFull(r, txn); err != nil {
			return out, nil // a record being written
		}
		zxid := int64(binary.BigEndian.Uint64(txn[12:20]))
		out = append(out, Record{Zxid: zxid, Bytes: 12 + n + 1})
	}
}

// BytesAfter sums the bytes of the records with a zxid greater than zxid.
func BytesAfter(recs []Record, zxid int64) int64 {
	var n int64
	for _, r := range recs {
		if r.Zxid > zxid {
			n += int64(r.Bytes)
		}
	}
	return n
}

// LastZxid returns the largest zxid in recs, 0 if none.
func LastZxid(recs []Record) int64 {
	var z int64
	for _, r := range recs {
		z = max(z, r.Zxid)
	}
	return z
}
