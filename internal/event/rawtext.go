package event

import "unicode/utf8"

// rawTextValid reports whether the raw JSON text of one token (with any
// separators before it) decodes to exactly the text it spells. encoding/json
// silently turns invalid UTF-8 bytes and lone surrogate escapes ("\ud800")
// into U+FFFD, which would make "\xff\xfe" and "\xfe\xff" the same player;
// the stream refuses such text, so JSON must refuse it too.
func rawTextValid(raw []byte) bool {
	if !utf8.Valid(raw) {
		return false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if i+1 >= len(raw) || raw[i+1] != 'u' {
			i++ // a two-byte escape such as \" or \\: skip its second byte
			continue
		}
		r, ok := hex4(raw, i+2)
		if !ok {
			return true // a syntax error: the tokenizer reports it
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return false // a low surrogate with no high one before it
		case r >= 0xD800 && r <= 0xDBFF:
			lo, ok := hex4(raw, i+8)
			if i+7 >= len(raw) || raw[i+6] != '\\' || raw[i+7] != 'u' || !ok || lo < 0xDC00 || lo > 0xDFFF {
				return false // a high surrogate not followed by a low one
			}
			i += 11
		default:
			i += 5
		}
	}
	return true
}

// hex4 decodes the four hex digits at raw[i:i+4].
func hex4(raw []byte, i int) (rune, bool) {
	if i+4 > len(raw) {
		return 0, false
	}
	var r rune
	for _, c := range raw[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
