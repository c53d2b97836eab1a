package main

import (
	"fmt"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// geoInfo is where an address is, as far as the database knows.
type geoInfo struct {
	Country, Region, City string
}

// geoRecord decodes only the fields stored, from the GeoIP2/GeoLite2 City
// layout (a Country database fills the country alone).
type geoRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	Subdivisions []struct {
		Names struct {
			EN string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"subdivisions"`
	City struct {
		Names struct {
			EN string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"city"`
}

// geoLookup reads a MaxMind-format database; the zero value (no database
// configured) finds nothing.
type geoLookup struct {
	db *maxminddb.Reader
}

func openGeo(path string) (*geoLookup, error) {
	if path == "" {
		return &geoLookup{}, nil
	}
	db, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening GeoIP database %s: %w", path, err)
	}
	return &geoLookup{db: db}, nil
}

// Lookup returns the location of addr; an unknown address (or a lookup
// error on a damaged database) has none: geography is optional, the event is not.
func (g *geoLookup) Lookup(addr netip.Addr) geoInfo {
	if g.db == nil || !addr.IsValid() {
		return geoInfo{}
	}
	var rec geoRecord
	if err := g.db.Lookup(addr).Decode(&rec); err != nil {
		return geoInfo{}
	}
	info := geoInfo{Country: rec.Country.ISOCode, City: rec.City.Names.EN}
	if len(rec.Subdivisions) > 0 {
		info.Region = rec.Subdivisions[0].Names.EN
	}
	return info
}

// Close releases the database.
func (g *geoLookup) Close() error {
	if g.db == nil {
		return nil
	}
	return g.db.Close()
}
