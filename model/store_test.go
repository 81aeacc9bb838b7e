package model_test

import (
	"testing"

	"github.com/kook-project/kook/internal/storetest"
	"github.com/kook-project/kook/model"
)

func TestMemStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) model.Store { return &model.MemStore{} })
}
