package main

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/pkg/message"
	"github.com/pixelpipe/pixelpipe/pkg/pixel"
)

const (
	uaChromeWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
	uaSafariIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
	uaGooglebot     = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
	uaHeadless      = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36"
	uaCurl          = "curl/8.5.0"
)

func TestIPTruncateKeepsTheNetworkOnly(t *testing.T) {
	a := newIPAnonymizer(IPTruncate, "")
	at := time.Unix(0, 0)
	assert.Equal(t, "198.51.100.0", a.Anonymize(parseIP("198.51.100.23"), at))
	assert.Equal(t, "2001:db8:abcd::", a.Anonymize(parseIP("2001:db8:abcd:12:1:2:3:4"), at))
	assert.Equal(t, "198.51.100.0", a.Anonymize(parseIP("198.51.100.23:4711"), at), "a peer address with a port")
	assert.Equal(t, "198.51.100.0", a.Anonymize(parseIP("::ffff:198.51.100.23"), at), "an IPv4-mapped address is IPv4")
	assert.Equal(t, "", a.Anonymize(parseIP("not-an-ip"), at))
	assert.Equal(t, "198.51.100.23", newIPAnonymizer(IPRaw, "").Anonymize(parseIP("198.51.100.23"), at))
}

func TestIPHashRotatesDailyAndNeedsTheSecret(t *testing.T) {
	a := newIPAnonymizer(IPHash, "first secret, 16+ bytes")
	ip := parseIP("198.51.100.23")
	morning := time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)
	evening := time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)
	nextDay := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

	h := a.Anonymize(ip, morning)
	assert.Len(t, h, 32)
	assert.NotContains(t, h, "198.51")
	assert.Equal(t, h, a.Anonymize(ip, evening), "one visitor is one hash within a day")
	assert.NotEqual(t, h, a.Anonymize(parseIP("198.51.100.24"), morning))
	assert.NotEqual(t, h, a.Anonymize(ip, nextDay), "the salt rotates every UTC day")
	assert.Equal(t, h, a.Anonymize(ip, morning), "going back to a day derives its salt again")
	other := newIPAnonymizer(IPHash, "second secret, 16+ bytes")
	assert.NotEqual(t, h, other.Anonymize(ip, morning), "without the secret the hash cannot be recomputed")
}

func TestUserAgentClassification(t *testing.T) {
	c, err := newUAClassifier(10)
	require.NoError(t, err)
	chrome := c.Classify(uaChromeWindows)
	assert.Equal(t, "Chrome", chrome.Browser)
	assert.Equal(t, "124.0.0.0", chrome.BrowserVersion)
	assert.Equal(t, "Windows", chrome.OS)
	assert.Equal(t, classDesktop, chrome.DeviceClass)
	assert.False(t, chrome.IsBot)

	safari := c.Classify(uaSafariIPhone)
	assert.Equal(t, "Safari", safari.Browser)
	assert.Equal(t, "iOS", safari.OS)
	assert.Equal(t, classMobile, safari.DeviceClass)
	assert.False(t, safari.IsBot)

	for _, ua := range []string{uaGooglebot, uaHeadless, uaCurl} {
		info := c.Classify(ua)
		assert.True(t, info.IsBot, ua)
		assert.Equal(t, classBot, info.DeviceClass, ua)
	}
	assert.Equal(t, uaInfo{}, c.Classify(""))
	assert.Equal(t, chrome, c.Classify(uaChromeWindows), "a cached result is the parsed one")
}

func TestEnrichFillsDeviceTypeOnlyWhenAbsent(t *testing.T) {
	en := newTestEnricher(t, IPTruncate)
	cases := []struct{ sent, ua, want string }{
		{"", uaSafariIPhone, "mobile"},
		{"", uaChromeWindows, "desktop"},
		{"desktop", uaSafariIPhone, "desktop"},
		{"", uaGooglebot, ""},
		{"", "", ""},
	}
	for _, c := range cases {
		e := message.Event{DeviceType: c.sent}
		en.Enrich(&e, &message.Raw{UserAgent: c.ua, ClientIP: "203.0.113.9"})
		assert.Equal(t, c.want, e.DeviceType, "sent %q, user agent %q", c.sent, c.ua)
		assert.Equal(t, "203.0.113.0", e.ClientIP)
	}
}

func TestItemPosition(t *testing.T) {
	raw, err := message.DecodeRaw(rawHit("application=a&fm_session_id=s&interaction=item_click&set_id=1&item_id=b&set_item_ids=a,b,c", 1))
	require.NoError(t, err)
	e, err := buildEvent(&raw, new(pixel.Validator), new(pixel.Scanner))
	require.NoError(t, err)
	assert.Equal(t, uint16(2), e.ItemPosition)
	assert.Equal(t, uint16(1), itemPosition("a", []string{"a"}))
	assert.Zero(t, itemPosition("", []string{""}))
	assert.Zero(t, itemPosition("x", nil))
}

// writeTestGeoDB builds a small City database: 203.0.113.0/24 is in
// Berlin, 2001:db8::/32 in Lyon.
func writeTestGeoDB(t testing.TB) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoIP2-City", RecordSize: 24, IncludeReservedNetworks: true})
	require.NoError(t, err)
	place := func(country, region, city string) mmdbtype.Map {
		return mmdbtype.Map{
			"country":      mmdbtype.Map{"iso_code": mmdbtype.String(country)},
			"subdivisions": mmdbtype.Slice{mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(region)}}},
			"city":         mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(city)}},
		}
	}
	for cidr, rec := range map[string]mmdbtype.Map{
		"203.0.113.0/24": place("DE", "Land Berlin", "Berlin"),
		"2001:db8::/32":  place("FR", "Auvergne-Rhone-Alpes", "Lyon"),
	} {
		_, network, err := net.ParseCIDR(cidr)
		require.NoError(t, err)
		require.NoError(t, tree.Insert(network, rec))
	}
	path := filepath.Join(t.TempDir(), "test-city.mmdb")
	f, err := os.Create(path)
	require.NoError(t, err)
	_, err = tree.WriteTo(f)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return path
}

func TestGeoLookupFromAnMMDB(t *testing.T) {
	geo, err := openGeo(writeTestGeoDB(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = geo.Close() })
	assert.Equal(t, geoInfo{Country: "DE", Region: "Land Berlin", City: "Berlin"}, geo.Lookup(netip.MustParseAddr("203.0.113.77")))
	assert.Equal(t, geoInfo{Country: "FR", Region: "Auvergne-Rhone-Alpes", City: "Lyon"}, geo.Lookup(netip.MustParseAddr("2001:db8:1::5")))
	assert.Equal(t, geoInfo{}, geo.Lookup(netip.MustParseAddr("198.51.100.1")), "an address the database does not know")
	assert.Equal(t, geoInfo{}, (&geoLookup{}).Lookup(netip.MustParseAddr("203.0.113.77")), "no database configured")

	_, err = openGeo(filepath.Join(t.TempDir(), "missing.mmdb"))
	assert.Error(t, err)
}

func TestEnrichUsesTheRawAddressForGeoButStoresItTruncated(t *testing.T) {
	en := newTestEnricher(t, IPTruncate)
	geo, err := openGeo(writeTestGeoDB(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = geo.Close() })
	en.geo = geo
	var e message.Event
	en.Enrich(&e, &message.Raw{ClientIP: "203.0.113.77", UserAgent: uaChromeWindows})
	assert.Equal(t, "203.0.113.0", e.ClientIP)
	assert.Equal(t, "DE", e.Country)
	assert.Equal(t, "Berlin", e.City)
	assert.Equal(t, "Chrome", e.Browser)
}
