package main

import "github.com/pixelpipe/pixelpipe/pkg/message"

// enricher adds what the enricher knows beyond the client's parameters:
// the anonymised address, its location, and what the user agent says.
type enricher struct {
	ip  *ipAnonymizer
	geo *geoLookup
	ua  *uaClassifier
}

// Enrich fills e's enrichment fields from raw. The raw address is used for
// the GeoIP lookup and then dropped: only its anonymised form is kept.
func (en *enricher) Enrich(e *message.Event, raw *message.Raw) {
	addr := parseIP(raw.ClientIP)
	e.ClientIP = en.ip.Anonymize(addr, raw.ReceivedAt())
	geo := en.geo.Lookup(addr)
	e.Country, e.Region, e.City = geo.Country, geo.Region, geo.City
	ua := en.ua.Classify(raw.UserAgent)
	e.Browser, e.BrowserVersion, e.OS = ua.Browser, ua.BrowserVersion, ua.OS
	e.DeviceClass, e.IsBot = ua.DeviceClass, ua.IsBot
	if e.DeviceType == "" {
		e.DeviceType = deviceType(ua.DeviceClass)
	}
}
