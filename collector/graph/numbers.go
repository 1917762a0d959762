package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// numString is a JSON value Meta documents as a string holding a number ("14.35"). It also
// takes a bare JSON number, keeping its exact text; null and absence leave it unset. Any other
// JSON keeps its raw text so the parse that follows fails naming the field.
type numString struct {
	s   string
	set bool
}

// UnmarshalJSON keeps the value's text; see numString.
func (n *numString) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*n = numString{}
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = numString{s: s, set: true}
	default:
		*n = numString{s: string(b), set: true}
	}
	return nil
}

// flexFloat is a usage-header figure: a JSON number, or a string holding one.
type flexFloat float64

// UnmarshalJSON reads a number or a numeric string.
func (f *flexFloat) UnmarshalJSON(b []byte) error {
	var n numString
	if err := n.UnmarshalJSON(b); err != nil {
		return err
	}
	if !n.set {
		*f = 0
		return nil
	}
	v, err := strconv.ParseFloat(n.s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("not a number: %q", truncate(n.s, 40))
	}
	*f = flexFloat(v)
	return nil
}

var errNegative = errors.New("negative value")

// splitDecimal splits a plain non-negative decimal ("14", "14.35") into its digit runs.
// Signs, exponents, spaces, thousands separators and a bare "." are rejected.
func splitDecimal(s string) (intPart, frac string, err error) {
	if s == "" {
		return "", "", errors.New("empty value")
	}
	if s[0] == '-' {
		return "", "", errNegative
	}
	intPart, frac, dot := strings.Cut(s, ".")
	if intPart == "" || (dot && frac == "") || !allDigits(intPart) || !allDigits(frac) {
		return "", "", fmt.Errorf("not a decimal number: %q", truncate(s, 40))
	}
	return intPart, frac, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseMicros parses a money amount as Meta sends it ("14.35") exactly into integer
// micro-units (14350000). More than 6 decimal places (other than trailing zeros), signs,
// exponents and anything else that is not a plain decimal are errors.
func ParseMicros(s string) (int64, error) {
	intPart, frac, err := splitDecimal(s)
	if err != nil {
		return 0, err
	}
	if len(frac) > 6 {
		if strings.Trim(frac[6:], "0") != "" {
			return 0, fmt.Errorf("more than 6 decimal places: %q", truncate(s, 40))
		}
		frac = frac[:6]
	}
	frac += strings.Repeat("0", 6-len(frac))
	whole, err := strconv.ParseInt(intPart, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	if err != nil || whole > math.MaxInt64/1_000_000 || whole*1_000_000 > math.MaxInt64-f {
		return 0, fmt.Errorf("out of range: %q", truncate(s, 40))
	}
	return whole*1_000_000 + f, nil
}

// parseCount parses a whole non-negative count ("185").
func parseCount(s string) (int64, error) {
	intPart, frac, err := splitDecimal(s)
	if err != nil {
		return 0, err
	}
	if frac != "" && strings.Trim(frac, "0") != "" {
		return 0, fmt.Errorf("not a whole number: %q", truncate(s, 40))
	}
	v, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("out of range: %q", truncate(s, 40))
	}
	return v, nil
}

// parseRoundedCount parses a non-negative decimal and rounds it half up to a whole count
// ("2.5" → 3, "2.49" → 2).
func parseRoundedCount(s string) (int64, error) {
	intPart, frac, err := splitDecimal(s)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("out of range: %q", truncate(s, 40))
	}
	if frac != "" && frac[0] >= '5' {
		if v == math.MaxInt64 {
			return 0, fmt.Errorf("out of range: %q", truncate(s, 40))
		}
		v++
	}
	return v, nil
}

// atoiLoose reads an error code that may be a JSON number or a string.
func atoiLoose(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.Atoi(s)
}

// truncate shortens s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
