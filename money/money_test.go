package money

import (
	"math"
	"testing"
)

func TestFormatMicros(t *testing.T) {
	tests := []struct {
		micros   int64
		currency string
		want     string
	}{
		{14350000, "USD", "14.35"},
		{14355000, "USD", "14.355"},
		{14000000, "EUR", "14.00"},
		{0, "USD", "0.00"},
		{0, "", "0.00"},
		{5, "USD", "0.000005"},
		{-500000, "USD", "-0.50"},
		{1200000000, "JPY", "1200"},
		{1200500000, "JPY", "1200.5"},
		{1234000, "KWD", "1.234"},
		{1000000, "KWD", "1.000"},
		{1000000, "HUF", "1.00"}, // ISO 4217: HUF has two minor digits
		{1000000, "CLP", "1"},
		{123456789012345678, "USD", "123456789012.345678"},
		{math.MinInt64, "USD", "-9223372036854.775808"},
	}
	for _, tc := range tests {
		if got := FormatMicros(tc.micros, tc.currency); got != tc.want {
			t.Errorf("FormatMicros(%d, %q): got %q, want %q", tc.micros, tc.currency, got, tc.want)
		}
	}
}

func TestRound(t *testing.T) {
	tests := []struct {
		micros   int64
		currency string
		want     int64
	}{
		{14355000, "USD", 14360000},
		{14354999, "USD", 14350000},
		{-14355000, "USD", -14360000},
		{1500000, "JPY", 2000000},
		{1499999, "JPY", 1000000},
		{1234567, "KWD", 1235000},
		{7, "", 0},
	}
	for _, tc := range tests {
		if got := Round(tc.micros, tc.currency); got != tc.want {
			t.Errorf("Round(%d, %q): got %d, want %d", tc.micros, tc.currency, got, tc.want)
		}
	}
}

func TestPerUnit(t *testing.T) {
	tests := []struct {
		micros, n, want int64
		ok              bool
	}{
		{10000000, 3, 3333333, true},
		{20000000, 3, 6666667, true},
		{5, 2, 3, true},
		{-5, 2, -3, true},
		{10, 0, 0, false},
		{10, -1, 0, false},
	}
	for _, tc := range tests {
		got, ok := PerUnit(tc.micros, tc.n)
		if got != tc.want || ok != tc.ok {
			t.Errorf("PerUnit(%d, %d): got %d %v, want %d %v", tc.micros, tc.n, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDisplay(t *testing.T) {
	tests := []struct {
		micros   int64
		currency string
		want     string
	}{
		{1234567890000, "USD", "$1,234,567.89"},
		{1234500000, "EUR", "€1,234.50"},
		{-1234500000, "GBP", "-£1,234.50"},
		{1234500000, "CHF", "1,234.50 CHF"},
		{1234500000, "cad", "1,234.50 CAD"},
		{1234500000, "JPY", "¥1,235"},
		{999999, "USD", "$1.00"},
		{1000, "", "0.00"},
	}
	for _, tc := range tests {
		if got := Display(tc.micros, tc.currency); got != tc.want {
			t.Errorf("Display(%d, %q): got %q, want %q", tc.micros, tc.currency, got, tc.want)
		}
	}
}

func TestGroup(t *testing.T) {
	for in, want := range map[string]string{"1": "1", "123": "123", "1234": "1,234", "123456.75": "123,456.75", "-1234567": "-1,234,567"} {
		if got := Group(in); got != want {
			t.Errorf("Group(%q): got %q, want %q", in, got, want)
		}
	}
}
