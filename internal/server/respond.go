package server

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// apiError is the one error shape of every JSON route, so clients parse
// failures one way: {"error":{"code":"...","message":"..."}}.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeErrorDetails(w, status, code, msg, nil)
}

func writeErrorDetails(w http.ResponseWriter, status int, code, msg string, details map[string]any) {
	writeJSON(w, status, apiError{Error: apiErrorBody{Code: code, Message: msg, Details: details}})
}

// writeJSON sends v as JSON. Values here are built by the server from
// checked data, so encoding cannot fail except on a programming error.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"could not encode the response"}}`)
	}
	b = append(b, '\n')
	writeRaw(w, status, "application/json", b)
}

func writeRaw(w http.ResponseWriter, status int, ctype string, b []byte) {
	writePrepared(w, status, prepareBody(ctype, b))
}

// preparedBody is a response body with its header values built, so a body
// served many times (a cached top ten) builds them once.
type preparedBody struct {
	body                   []byte
	ctype, length, nosniff []string // never changed once built: responses share them
}

// prepareBody builds the header values in one allocation.
func prepareBody(ctype string, b []byte) preparedBody {
	v := []string{ctype, strconv.Itoa(len(b)), "nosniff"}
	return preparedBody{body: b, ctype: v[0:1:1], length: v[1:2:2], nosniff: v[2:3:3]}
}

func writePrepared(w http.ResponseWriter, status int, p preparedBody) {
	h := w.Header()
	h["Content-Type"] = p.ctype
	h["Content-Length"] = p.length
	h["X-Content-Type-Options"] = p.nosniff
	w.WriteHeader(status)
	_, _ = w.Write(p.body)
}

// jsonScore renders a score for the v1 API: a plain JSON number. Redis
// allows ±inf scores, which JSON cannot carry; they become ±MaxFloat64.
func jsonScore(f float64) json.Number {
	return json.Number(strconv.FormatFloat(clampInf(f), 'g', -1, 64))
}

func clampInf(f float64) float64 {
	switch {
	case math.IsInf(f, 1):
		return math.MaxFloat64
	case math.IsInf(f, -1):
		return -math.MaxFloat64
	case math.IsNaN(f):
		return 0
	}
	return f
}

// appendPyFloat appends f as Python's json.dumps writes a float, which is
// what the old Flask service sent for scores (redis-py returns them as
// floats): 3 -> "3.0", 2.5 -> "2.5", 1e16 -> "1e+16", 1.5e-05 -> "1.5e-05".
// Python would write the invalid JSON "Infinity" for ±inf; we clamp to
// ±MaxFloat64 so the body stays valid JSON.
func appendPyFloat(b []byte, f float64) []byte {
	f = clampInf(f)
	if f == 0 {
		if math.Signbit(f) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	// Shortest round-trip digits, then Python's repr layout: positional for
	// decimal exponents -4 <= exp < 16, scientific otherwise.
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp >= -4 && exp < 16 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		b = append(b, s...)
		if strings.IndexByte(s, '.') < 0 {
			b = append(b, ".0"...)
		}
		return b
	}
	b = append(b, mant...)
	b = append(b, 'e')
	if exp < 0 {
		b = append(b, '-')
		exp = -exp
	} else {
		b = append(b, '+')
	}
	if exp < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(exp), 10)
}

// appendPyString appends s as Python's json.dumps writes a str with its
// default ensure_ascii=True (what Flask's jsonify sent): ASCII as is except
// '"' and '\\', control characters escaped, everything else as \uXXXX
// (surrogate pairs above U+FFFF). Invalid UTF-8 becomes U+FFFD.
func appendPyString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	u4 := func(b []byte, r rune) []byte {
		return append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
	}
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"':
			b = append(b, '\\', '"')
		case r == '\\':
			b = append(b, '\\', '\\')
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r == '\b':
			b = append(b, '\\', 'b')
		case r == '\f':
			b = append(b, '\\', 'f')
		case r < 0x20 || r == 0x7f: // Python escapes all outside ' '..'~'
			b = u4(b, r)
		case r < 0x80:
			b = append(b, byte(r))
		case r > 0xffff:
			r -= 0x10000
			b = u4(b, 0xd800+(r>>10))
			b = u4(b, 0xdc00+(r&0x3ff))
		default:
			b = u4(b, r)
		}
	}
	return append(b, '"')
}
