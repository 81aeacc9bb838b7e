package config

import "testing"

// TestHistoryKeys: history_keep and history_days set history's retention;
// history_days: 0 keeps no record for its age alone (-1).
func TestHistoryKeys(t *testing.T) {
	f, err := ParseFile("c.yml", []byte("history_keep: 500\nhistory_days: 0\n"))
	if err != nil || f.HistoryKeep != 500 || f.HistoryDays != -1 {
		t.Errorf("got %+v, %v", f, err)
	}
	f, err = ParseFile("c.yml", []byte("history_days: 30\n"))
	if err != nil || f.HistoryKeep != 0 || f.HistoryDays != 30 {
		t.Errorf("got %+v, %v", f, err)
	}
	if f.MinimalHistory {
		t.Errorf("history_records minimal without the key")
	}
	f, err = ParseFile("c.yml", []byte("history_records: minimal\n"))
	if err != nil || !f.MinimalHistory {
		t.Errorf("history_records: minimal: got %+v, %v", f, err)
	}
	for _, bad := range []string{"history_keep: 0\n", "history_keep: -1\n", "history_days: x\n", "history_records: none\n"} {
		if _, err := ParseFile("c.yml", []byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
