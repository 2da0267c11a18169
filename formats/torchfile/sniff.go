package torchfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// Kind is what a file looks like from its first bytes.
type Kind int

// The kinds Sniff tells apart.
const (
	KindUnknown Kind = iota
	KindZip          // a zip archive: a torch.save state dict such as ll_model.pth
	KindLegacy       // a legacy (non-zip) torch.save file
	KindPickle       // a plain pickle such as ll_model_cfg.pkl
)

// String describes the kind for messages.
func (k Kind) String() string {
	switch k {
	case KindZip:
		return "a torch.save state dict (zip archive)"
	case KindLegacy:
		return "a torch.save state dict (legacy format)"
	case KindPickle:
		return "a pickle (such as a pickled config)"
	}
	return "neither a torch.save file nor a pickle"
}

// IsStateDict reports whether the kind is one of torch.save's formats.
func (k Kind) IsStateDict() bool { return k == KindZip || k == KindLegacy }

// legacyHead is how a legacy torch.save file starts: a protocol-2 pickle
// of its magic number (LONG1, 10 bytes).
var legacyHead = append([]byte{0x80, 0x02, 0x8a, 0x0a}, reverse(legacyMagic.Bytes())...)

func reverse(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[len(b)-1-i] = c
	}
	return out
}

// sniffLen is how much of a file Sniff needs.
const sniffLen = 1 << 16

// Sniff tells from the first bytes of a file whether it is a torch.save
// state dict or a plain pickle.
func Sniff(head []byte) Kind {
	switch {
	case bytes.HasPrefix(head, []byte(zipMagic)):
		return KindZip
	case bytes.HasPrefix(head, legacyHead):
		return KindLegacy
	case len(head) >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5:
		return KindPickle // PROTO 2–5
	}
	if _, err := scanPickle(head); err == nil {
		return KindPickle // protocol 0 or 1, short enough to scan whole
	}
	if len(head) > 0 && (head[0] == '(' || head[0] == '}' || head[0] == ']') {
		return KindPickle // protocol 0/1 container, longer than the head
	}
	return KindUnknown
}

// SniffFile is Sniff on the first bytes of the file at path.
func SniffFile(path string) (Kind, error) {
	f, err := os.Open(path)
	if err != nil {
		return KindUnknown, fmt.Errorf("sniff: %w", err)
	}
	defer f.Close()
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return KindUnknown, fmt.Errorf("sniff %s: %w", path, err)
	}
	return Sniff(head[:n]), nil
}
