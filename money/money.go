// Package money formats amounts kept as integer micro-units (millionths of a currency's major
// unit) — the way Leadlens stores Meta's spend. Nothing here uses floating point: amounts are
// summed, divided and rounded as integers, so totals never drift.
package money

import (
	"strconv"
	"strings"
)

// microDigits is how many decimal digits a micro-unit amount has below the major unit.
const microDigits = 6

// minorDigits lists the ISO 4217 currencies whose minor unit is not two digits. Every other
// code (including unknown ones and "") has two.
var minorDigits = map[string]int{
	// no minor unit
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
	"RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	// three digits
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	// four digits
	"CLF": 4, "UYW": 4,
}

// MinorDigits is the number of decimal digits of a currency's minor unit per ISO 4217 (2 when
// the code is unknown).
func MinorDigits(currency string) int {
	if d, ok := minorDigits[strings.ToUpper(currency)]; ok {
		return d
	}
	return 2
}

// FormatMicros renders an amount as a plain decimal ("14.35", "-0.50", "1200") with at least the
// currency's minor digits; extra non-zero precision is kept ("14.355"), never rounded away, so
// the CSV carries exactly what Meta reported.
func FormatMicros(micros int64, currency string) string {
	neg := micros < 0
	u := uint64(micros)
	if neg {
		u = -u // two's complement: correct for math.MinInt64 too
	}
	digits := strconv.FormatUint(u, 10)
	if len(digits) <= microDigits {
		digits = strings.Repeat("0", microDigits-len(digits)+1) + digits
	}
	whole, frac := digits[:len(digits)-microDigits], digits[len(digits)-microDigits:]
	keep := MinorDigits(currency)
	frac = strings.TrimRight(frac, "0")
	if len(frac) < keep {
		frac += strings.Repeat("0", keep-len(frac))
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(whole)
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// Round rounds an amount to the currency's minor unit, half away from zero, still in micros.
func Round(micros int64, currency string) int64 {
	step := int64(1)
	for range microDigits - MinorDigits(currency) {
		step *= 10
	}
	if step == 1 {
		return micros
	}
	q, r := micros/step, micros%step
	switch {
	case r >= step/2:
		q++
	case r <= -step/2:
		q--
	}
	return q * step
}

// PerUnit divides an amount by a count (spend per lead), rounding half away from zero to whole
// micro-units. ok is false when count is not positive: there is no cost per lead without leads.
func PerUnit(micros, count int64) (perUnit int64, ok bool) {
	if count <= 0 {
		return 0, false
	}
	q, r := micros/count, micros%count
	if r < 0 {
		r = -r
	}
	if 2*r >= count {
		if micros < 0 {
			q--
		} else {
			q++
		}
	}
	return q, true
}

// symbols maps currencies to a symbol that is unambiguous on its own; the rest are shown with
// their ISO code, so "$" never stands for Canadian or Australian dollars.
var symbols = map[string]string{
	"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩", "BRL": "R$",
	"ILS": "₪", "NGN": "₦", "PHP": "₱", "TRY": "₺", "UAH": "₴", "VND": "₫", "THB": "฿",
}

// Display renders an amount for people: rounded to the currency's minor unit, thousands grouped,
// with a symbol ("$1,234.50", "€12.00") or the ISO code ("1,234.50 CHF"). An empty currency
// gives the bare number.
func Display(micros int64, currency string) string {
	currency = strings.ToUpper(currency)
	n := Group(FormatMicros(Round(micros, currency), currency))
	if sym, ok := symbols[currency]; ok {
		if strings.HasPrefix(n, "-") {
			return "-" + sym + n[1:]
		}
		return sym + n
	}
	if currency == "" {
		return n
	}
	return n + " " + currency
}

// Group inserts thousands separators into a plain decimal ("1234567.5" → "1,234,567.5").
func Group(dec string) string {
	sign := ""
	if strings.HasPrefix(dec, "-") {
		sign, dec = "-", dec[1:]
	}
	whole, frac, hasFrac := strings.Cut(dec, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// Major converts micros to major units as a float, for chart axes only: never sum the result.
func Major(micros int64) float64 { return float64(micros) / 1e6 }
