package jones_test

import (
	"testing"

	"github.com/kook-project/kook/internal/zktest"
)

func TestMain(m *testing.M) { zktest.Main(m) }
