package torchfile

import (
	"os"
	"testing"
)

func TestSniff(t *testing.T) {
	cases := map[string]Kind{
		"testdata/tensors.pth":                 KindZip,
		"testdata/tensors_legacy.pth":          KindLegacy,
		"testdata/hostile/expanded_legacy.pth": KindLegacy,
		"testdata/cfg_dict_p0.pkl":             KindPickle,
		"testdata/cfg_dict_p2.pkl":             KindPickle,
		"testdata/cfg_dict_p4.pkl":             KindPickle,
		"testdata/cfg_object.pkl":              KindPickle,
		"testdata/hostile/cyclic_list.pkl":     KindPickle,
		"testdata/cfg.json":                    KindUnknown,
	}
	for path, want := range cases {
		got, err := SniffFile(path)
		if err != nil || got != want {
			t.Errorf("SniffFile(%s) = %v, %v; want %v", path, got, err, want)
		}
	}
	if Sniff(nil) != KindUnknown || Sniff([]byte("PK")) != KindUnknown {
		t.Error("short heads")
	}
	if _, err := SniffFile("testdata/nope"); err == nil {
		t.Error("missing file")
	}
	if b, _ := os.ReadFile("testdata/tensors_legacy.pth"); !KindLegacy.IsStateDict() || Sniff(b[:20]) != KindLegacy {
		t.Error("legacy head")
	}
}
