package inventory

import (
	"testing"

	"github.com/kook-project/kook/internal/corpus"
)

func TestMain(m *testing.M) {
	m.Run()
	corpus.Report()
}
