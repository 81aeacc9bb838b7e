package zkstore

import (
	"encoding/json"
	"fmt"

	"github.com/kook-project/kook/zkstore/segment"
)

// format is the layout version head says it follows. Version 1 (kook up
// to December 2026) kept whole trees and materialized blobs; it is read
// only to migrate it (see migrate.go).
const format = 2

// head is <root>/inventory/head, the znode every change sets, checking its
// version, and every reader starts from.
type head struct {
	Format     int    `json:"format"`
	Generation int64  `json:"generation"`
	Index      string `json:"index,omitempty"` // segment holding the views' index
	Hosts      int64  `json:"hosts"`
	Groups     int64  `json:"groups"`
	Writer     string `json:"writer,omitempty"` // id of the change that made this generation
	Time       int64  `json:"time,omitempty"`   // when, in Unix milliseconds (the writer's clock)
	// HistoryStart is the oldest generation whose change record is kept.
	HistoryStart int64 `json:"history_start,omitempty"`
	// Applying is set while a change too big for one transaction is being
	// applied; see big.go.
	Applying *applying `json:"applying,omitempty"`
}

// applying says which big change is being applied to the nodes. Readers of
// nodes wait until it is done; its views are already written.
type applying struct {
	ID         string `json:"id"`         // the change's writer id
	Generation int64  `json:"generation"` // the generation it makes
	Index      string `json:"index"`      // the views it makes
	Hosts      int64  `json:"hosts"`
	Groups     int64  `json:"groups"`
	By         string `json:"by"` // who, for people
}

// Bounds on what is read from ZooKeeper, checked before use: a head that
// breaks them was not written by kook.
const (
	maxHeadSize = 64 << 10
	maxCount    = 1 << 40
)

func (h *head) marshal() []byte {
	data, _ := json.Marshal(h)
	return data
}

// parseHead decodes and checks a head znode.
func parseHead(data []byte) (*head, error) {
	if len(data) > maxHeadSize {
		return nil, fmt.Errorf("%d bytes, more than a head ever holds", len(data))
	}
	var h head
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, err
	}
	switch {
	case h.Format == 0 || h.Format == 1:
		return &h, errOldFormat
	case h.Format != format:
		return nil, fmt.Errorf("format %d is newer than this kook understands (%d): upgrade kook", h.Format, format)
	case h.Generation < 0 || h.Generation > maxCount:
		return nil, fmt.Errorf("generation %d is out of range", h.Generation)
	case h.Hosts < 0 || h.Hosts > maxCount || h.Groups < 0 || h.Groups > maxCount:
		return nil, fmt.Errorf("counts %d hosts, %d groups are out of range", h.Hosts, h.Groups)
	case h.Index != "" && !segment.ValidID(h.Index):
		return nil, fmt.Errorf("index %q is not a segment id", h.Index)
	case h.HistoryStart < 0 || h.HistoryStart > h.Generation+1:
		return nil, fmt.Errorf("history_start %d is out of range", h.HistoryStart)
	}
	if a := h.Applying; a != nil {
		if !segment.ValidID(a.ID) || (a.Index != "" && !segment.ValidID(a.Index)) || a.Generation != h.Generation+1 {
			return nil, fmt.Errorf("applying: %+v is not a change in progress", *a)
		}
	}
	return &h, nil
}
