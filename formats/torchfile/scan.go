package torchfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Pickle opcode argument kinds, for scanPickle.
const (
	argNone    = iota
	argFixed   // n bytes
	argLen1    // 1-byte length + data
	argLen4    // 4-byte length + data
	argLen8    // 8-byte length + data
	argLine    // newline-terminated
	argTwoLine // two newline-terminated lines
)

type opArg struct {
	kind, n int
}

// pickleOps lists every opcode of pickle protocols 0–5 with its argument.
var pickleOps = func() map[byte]opArg {
	m := map[byte]opArg{}
	for _, op := range []byte("(.012NRQa]bdelot}su)\x85\x86\x87\x88\x89\x81\x8f\x90\x91\x92\x93\x94\x97\x98") {
		m[op] = opArg{argNone, 0}
	}
	fixed := map[byte]int{'J': 4, 'K': 1, 'M': 2, 'G': 8, 'h': 1, 'j': 4, 'q': 1, 'r': 4,
		0x82: 1, 0x83: 2, 0x84: 4, 0x80: 1, 0x95: 8}
	for op, n := range fixed {
		m[op] = opArg{argFixed, n}
	}
	for _, op := range []byte{'U', 'C', 0x8c, 0x8a} {
		m[op] = opArg{argLen1, 0}
	}
	for _, op := range []byte{'T', 'X', 'B', 0x8b} {
		m[op] = opArg{argLen4, 0}
	}
	for _, op := range []byte{0x8d, 0x8e, 0x96} {
		m[op] = opArg{argLen8, 0}
	}
	for _, op := range []byte{'I', 'L', 'F', 'S', 'V', 'P', 'g', 'p'} {
		m[op] = opArg{argLine, 0}
	}
	m['c'] = opArg{argTwoLine, 0}
	m['i'] = opArg{argTwoLine, 0}
	return m
}()

// scanPickle walks the opcode stream of the pickle at the start of b and
// returns the offset just past its STOP. It rejects unknown opcodes and any
// length that runs past the end of b, so the decoder never allocates more
// than the input can hold.
func scanPickle(b []byte) (int, error) {
	pos := 0
	for pos < len(b) {
		op := b[pos]
		arg, ok := pickleOps[op]
		if !ok {
			return 0, fmt.Errorf("unknown pickle opcode 0x%02x at byte %d", op, pos)
		}
		at := pos
		pos++
		if op == '.' {
			return pos, nil
		}
		rest := len(b) - pos
		need := 0
		switch arg.kind {
		case argFixed:
			need = arg.n
			if op == 0x95 && rest >= 8 {
				// FRAME: the decoder buffers the whole frame; it must fit.
				if n := binary.LittleEndian.Uint64(b[pos:]); n > uint64(rest-8) {
					return 0, fmt.Errorf("pickle FRAME at byte %d: length %d exceeds the %d bytes left (truncated or corrupt)", at, n, rest-8)
				}
			}
		case argLen1:
			if rest < 1 {
				return 0, truncated(op, at)
			}
			need = 1 + int(b[pos])
		case argLen4:
			if rest < 4 {
				return 0, truncated(op, at)
			}
			need = 4 + int(binary.LittleEndian.Uint32(b[pos:]))
		case argLen8:
			if rest < 8 {
				return 0, truncated(op, at)
			}
			n := binary.LittleEndian.Uint64(b[pos:])
			if n > uint64(rest-8) {
				return 0, fmt.Errorf("pickle opcode 0x%02x at byte %d: length %d exceeds the %d bytes left (truncated or corrupt)", op, at, n, rest-8)
			}
			need = 8 + int(n)
		case argLine, argTwoLine:
			lines := 1
			if arg.kind == argTwoLine {
				lines = 2
			}
			end := pos
			for i := 0; i < lines; i++ {
				nl := bytes.IndexByte(b[end:], '\n')
				if nl < 0 {
					return 0, truncated(op, at)
				}
				end += nl + 1
			}
			need = end - pos
		}
		if need > rest || need < 0 {
			return 0, fmt.Errorf("pickle opcode 0x%02x at byte %d: needs %d bytes, %d left (truncated or corrupt)", op, at, need, rest)
		}
		pos += need
	}
	return 0, fmt.Errorf("pickle has no STOP opcode (truncated)")
}

func truncated(op byte, at int) error {
	return fmt.Errorf("pickle opcode 0x%02x at byte %d is cut off (truncated or corrupt)", op, at)
}

// rewriteUnicode0 replaces protocol-0 UNICODE opcodes ('V', a
// raw-unicode-escape line) by BINUNICODE ('X', length + UTF-8): gopickle
// keeps the raw line bytes, which garbles every character above 0x7f. b must
// be one whole pickle as delimited by scanPickle; pickles with frames are
// left alone (their lengths would change, and protocols with frames never
// emit 'V').
func rewriteUnicode0(b []byte) []byte {
	if !bytes.Contains(b, []byte{'V'}) {
		return b
	}
	var out []byte
	pos := 0
	last := 0
	for pos < len(b) {
		op := b[pos]
		arg := pickleOps[op]
		start := pos
		pos++
		if op == '.' {
			break
		}
		if op == 0x95 {
			return b
		}
		switch arg.kind {
		case argFixed:
			pos += arg.n
		case argLen1:
			pos += 1 + int(b[pos])
		case argLen4:
			pos += 4 + int(binary.LittleEndian.Uint32(b[pos:]))
		case argLen8:
			pos += 8 + int(binary.LittleEndian.Uint64(b[pos:]))
		case argLine, argTwoLine:
			lines := 1
			if arg.kind == argTwoLine {
				lines = 2
			}
			for i := 0; i < lines; i++ {
				pos += bytes.IndexByte(b[pos:], '\n') + 1
			}
		}
		if op != 'V' {
			continue
		}
		s := decodeRawUnicodeEscape(b[start+1 : pos-1])
		out = append(out, b[last:start]...)
		var n [4]byte
		binary.LittleEndian.PutUint32(n[:], uint32(len(s)))
		out = append(out, 'X')
		out = append(out, n[:]...)
		out = append(out, s...)
		last = pos
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// decodeRawUnicodeEscape decodes Python's raw-unicode-escape: \uXXXX and
// \UXXXXXXXX escapes, every other byte is a Latin-1 character.
func decodeRawUnicodeEscape(raw []byte) string {
	var sb strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\\' && i+1 < len(raw) && (raw[i+1] == 'u' || raw[i+1] == 'U') {
			w := 4
			if raw[i+1] == 'U' {
				w = 8
			}
			if i+2+w <= len(raw) {
				if v, err := strconv.ParseUint(string(raw[i+2:i+2+w]), 16, 32); err == nil && utf8.ValidRune(rune(v)) {
					sb.WriteRune(rune(v))
					i += 1 + w
					continue
				}
			}
		}
		sb.WriteRune(rune(c))
	}
	return sb.String()
}
