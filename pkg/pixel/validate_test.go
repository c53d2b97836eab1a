package pixel

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/specexample"
)

func TestValidateAcceptsSpecExamples(t *testing.T) {
	for name, q := range map[string]string{"item_click": specexample.ItemClick, "next_click": specexample.NextClick} {
		t.Run(name, func(t *testing.T) {
			var v Validator
			hit, err := v.Validate([]byte(q))
			require.NoError(t, err)
			assert.Equal(t, "8edaaf04-019e-4019-b97e-3797368a6b0d", string(hit.FmSessionID))
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	base := "application=a&fm_session_id=s&set_id=1"
	for name, q := range map[string]string{
		"custom interaction":         base + "&interaction=image_expand_click",
		"mobile":                     base + "&interaction=next_click&device_type=mobile",
		"desktop":                    base + "&interaction=next_click&device_type=desktop",
		"empty optional":             base + "&interaction=next_click&device_type=&size=",
		"unknown extra kept":         base + "&interaction=next_click&order_id=42&order_id=43",
		"escaped value":              base + "&interaction=next%5Fclick&size=x%2Dlarge+tall",
		"empty pairs":                "&&" + base + "&&interaction=next_click&",
		"item-level with item":       base + "&interaction=item_add_to_cart&item_id=9",
		"bare item_ interaction":     base + "&interaction=item_",
		"utf-8 value":                base + "&interaction=next_click&size=%C3%A9t%C3%A9",
		"value of exactly the limit": base + "&interaction=next_click&set_item_ids=" + strings.Repeat("x", MaxValueBytes),
	} {
		t.Run(name, func(t *testing.T) {
			var v Validator
			_, err := v.Validate([]byte(q))
			assert.NoError(t, err)
		})
	}
}

// Every reason the edge answers 400 with, and the parameter it names.
func TestValidateRejects(t *testing.T) {
	base := "application=a&fm_session_id=s&set_id=1&interaction=next_click"
	cases := []struct {
		name, query, param, reason string
	}{
		{"no query", "", Application, "is required"},
		{"missing application", "fm_session_id=s&set_id=1&interaction=x", Application, "is required"},
		{"missing fm_session_id", "application=a&set_id=1&interaction=x", FmSessionID, "is required"},
		{"missing interaction", "application=a&fm_session_id=s&set_id=1", Interaction, "is required"},
		{"missing set_id", "application=a&fm_session_id=s&interaction=x", SetID, "is required"},
		{"empty application", "application=&fm_session_id=s&set_id=1&interaction=x", Application, "is required"},
		{"item_click without item_id", "application=a&fm_session_id=s&set_id=1&interaction=item_click", ItemID, "is required for item-level interactions"},
		{"item_click with empty item_id", "application=a&fm_session_id=s&set_id=1&interaction=item_click&item_id=", ItemID, "is required for item-level interactions"},
		{"bad device_type", base + "&device_type=tablet", DeviceType, "must be desktop or mobile"},
		{"repeated spec parameter", base + "&set_id=2", SetID, "is repeated"},
		{"truncated escape", base + "&size=%4", Size, "has a malformed percent-escape"},
		{"non-hex escape", base + "&size=%zz", Size, "has a malformed percent-escape"},
		{"escaped control character", base + "&size=a%0Ab", Size, "contains a control character"},
		{"raw control character", base + "&size=a\x01b", Size, "contains a control character"},
		{"escaped DEL", base + "&size=%7F", Size, "contains a control character"},
		{"invalid UTF-8", base + "&size=%FF", Size, "is not valid UTF-8"},
		{"value too long", base + "&size=" + strings.Repeat("x", MaxValueBytes+1), Size, "is too long"},
		{"name too long", base + "&" + strings.Repeat("k", MaxKeyBytes+1) + "=1", strings.Repeat("k", 32), "name is too long"},
		{"malformed name", base + "&a%zz=1", "a%zz", "name has a malformed percent-escape"},
		{"empty name", base + "&=1", "", "parameter with an empty name"},
		{"too many parameters", base + strings.Repeat("&x=1", MaxParams), "", "more than 64 parameters"},
		{"query too long", base + "&x=" + strings.Repeat("y", MaxQueryBytes), "", "query longer than 8192 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var v Validator
			_, err := v.Validate([]byte(tc.query))
			var perr *Error
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, tc.param, perr.Param)
			assert.Equal(t, tc.reason, perr.Reason)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

func TestScannerDecodes(t *testing.T) {
	var s Scanner
	s.Reset([]byte("a+b=c%20d&flag&x=%E2%82%AC"))
	var got []string
	for s.Next() {
		got = append(got, string(s.Key())+"="+string(s.Value()))
	}
	require.NoError(t, s.Err())
	assert.Equal(t, []string{"a b=c d", "flag=", "x=€"}, got)
}

func TestValidateAllocatesNothing(t *testing.T) {
	var v Validator
	q := []byte(specexample.ItemClick)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := v.Validate(q); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

func FuzzValidate(f *testing.F) {
	for _, seed := range []string{specexample.ItemClick, specexample.NextClick, "", "a=%", "a=%zz&b", "application=a&application=b", "x=%FF"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, q []byte) {
		var v Validator
		hit, err := v.Validate(q)
		if err != nil {
			var perr *Error
			if !assert.ErrorAs(t, err, &perr) {
				return
			}
			assert.NotContains(t, err.Error(), "\n")
			return
		}
		assert.NotEmpty(t, hit.FmSessionID)
		assert.NotEmpty(t, hit.Application)
		assert.LessOrEqual(t, len(q), MaxQueryBytes)
	})
}

func BenchmarkValidate(b *testing.B) {
	var v Validator
	q := []byte(specexample.ItemClick)
	b.ReportAllocs()
	b.SetBytes(int64(len(q)))
	for b.Loop() {
		if _, err := v.Validate(q); err != nil {
			b.Fatal(err)
		}
	}
}

func TestIsMissingNamesOnlyAnAbsentParameter(t *testing.T) {
	var v Validator
	_, err := v.Validate([]byte("application=a&set_id=1&interaction=x"))
	assert.True(t, IsMissing(err, PFmSessionID))
	assert.False(t, IsMissing(err, PApplication))
	_, err = v.Validate([]byte("application=a&fm_session_id=s&fm_session_id=t&set_id=1&interaction=x"))
	assert.False(t, IsMissing(err, PFmSessionID), "a repeat is not an absence")
	assert.False(t, IsMissing(nil, PFmSessionID))
}
