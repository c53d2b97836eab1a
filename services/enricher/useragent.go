package main

import (
	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"
	"github.com/x-way/crawlerdetect"
)

// Device classes stored in device_class.
const (
	classDesktop = "desktop"
	classMobile  = "mobile"
	classTablet  = "tablet"
	classTV      = "tv"
	classBot     = "bot"
)

// uaInfo is what the enricher stores about a user agent.
type uaInfo struct {
	Browser, BrowserVersion, OS, DeviceClass string
	IsBot                                    bool
}

// uaClassifier parses user agents with two maintained libraries: medama's
// trie parser for browser, OS and device, and crawlerdetect's list for bots
// (it knows far more crawlers than a browser parser). crawlerdetect is a large
// regular expression, so results are cached: a site's traffic repeats a few
// thousand user agents. Not safe for concurrent use: the handler owns it.
type uaClassifier struct {
	parser   *useragent.Parser
	crawlers *crawlerdetect.CrawlerDetect
	cache    *simplelru.LRU[string, uaInfo]
}

func newUAClassifier(cacheSize int) (*uaClassifier, error) {
	cache, err := simplelru.NewLRU[string, uaInfo](cacheSize, nil)
	if err != nil {
		return nil, err
	}
	return &uaClassifier{parser: useragent.NewParser(), crawlers: crawlerdetect.New(), cache: cache}, nil
}

// Classify returns what the user agent says; an empty one says nothing.
func (c *uaClassifier) Classify(ua string) uaInfo {
	if ua == "" {
		return uaInfo{}
	}
	if info, ok := c.cache.Get(ua); ok {
		return info
	}
	info := c.parse(ua)
	c.cache.Add(ua, info)
	return info
}

func (c *uaClassifier) parse(ua string) uaInfo {
	agent := c.parser.Parse(ua)
	info := uaInfo{
		Browser:        string(agent.Browser()),
		BrowserVersion: agent.BrowserVersion(),
		OS:             string(agent.OS()),
		DeviceClass:    deviceClass(agent.Device()),
		IsBot:          agent.IsBot() || c.crawlers.IsCrawler(ua),
	}
	if info.IsBot {
		info.DeviceClass = classBot
	}
	return info
}

func deviceClass(d agents.Device) string {
	switch d {
	case agents.DeviceDesktop:
		return classDesktop
	case agents.DeviceMobile:
		return classMobile
	case agents.DeviceTablet:
		return classTablet
	case agents.DeviceTV:
		return classTV
	case agents.DeviceBot:
		return classBot
	default:
		return ""
	}
}

// deviceType maps a device class onto the spec's device_type values
// (desktop, mobile); a tablet is a mobile device there. Other classes leave
// device_type empty rather than guess.
func deviceType(class string) string {
	switch class {
	case classDesktop:
		return "desktop"
	case classMobile, classTablet:
		return "mobile"
	default:
		return ""
	}
}
