package main

import (
	"fmt"

	"github.com/kook-project/kook/internal/zklog"
)

func logMark() int64 {
	recs, err := zklog.Records("/tmp/zkbig/data")
	if err != nil {
		panic(err)
	}
	return zklog.LastZxid(recs)
}

func logSince(z int64, what string) {
	recs, _ := zklog.Records("/tmp/zkbig/data")
	fmt.Printf("  %s: %d bytes in the txn log\n", what, zklog.BytesAfter(recs, z))
}
