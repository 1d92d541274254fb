package exam

import (
	"fmt"
	"io"
)

// CatalogueFormat is the format tag of a catalogue file.
const CatalogueFormat = "onex-catalogue/1"

// Level is a certificate level.
type Level string

// The three levels of a 1+X certificate.
const (
	Elementary   Level = "elementary"
	Intermediate Level = "intermediate"
	Advanced     Level = "advanced"
)

// Levels lists the levels in ascending order.
var Levels = []Level{Elementary, Intermediate, Advanced}

// Valid reports whether l is one of the three levels.
func (l Level) Valid() bool {
	return l == Elementary || l == Intermediate || l == Advanced
}

// Chinese is the level as candidates and certificates show it: 初级, 中级 or 高级.
func (l Level) Chinese() string {
	switch l {
	case Elementary:
		return "初级"
	case Intermediate:
		return "中级"
	case Advanced:
		return "高级"
	}
	return string(l)
}

// Organisation is a training-and-evaluation organisation (培训评价组织).
type Organisation struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// LevelRule is what one level of a certificate asks and gives: the pass mark,
// a percentage of the paper's total points, the credit-bank credits earned,
// and, when the catalogue gives it, the assessment fee per candidate
// (written in yuan with two decimals, e.g. "350.00").
type LevelRule struct {
	PassMark float64 `json:"pass_mark"`
	Credits  float64 `json:"credits"`
	Fee      *Fen    `json:"fee,omitempty"`
}

// Certificate is a vocational skill level certificate (职业技能等级证书).
type Certificate struct {
	Code   string              `json:"code"`
	Org    string              `json:"org"`
	Name   string              `json:"name"`
	Levels map[Level]LevelRule `json:"levels"`
}

// LevelOf is one level of a certificate with its rule.
type LevelOf struct {
	Level Level
	LevelRule
}

// LevelRules returns the certificate's levels in ascending order.
func (c Certificate) LevelRules() []LevelOf {
	var out []LevelOf
	for _, l := range Levels {
		if r, ok := c.Levels[l]; ok {
			out = append(out, LevelOf{l, r})
		}
	}
	return out
}

// Site is an assessment site (考核站点), usually inside a pilot school, with its rooms.
type Site struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	School   string   `json:"school"`
	Province string   `json:"province"`
	Rooms    []string `json:"rooms"`
}

// HasRoom reports whether the site has the named room.
func (s Site) HasRoom(room string) bool {
	for _, r := range s.Rooms {
		if r == room {
			return true
		}
	}
	return false
}

// Catalogue is what central offers: organisations, their certificates and the sites.
type Catalogue struct {
	Format        string         `json:"format"`
	Organisations []Organisation `json:"organisations"`
	Certificates  []Certificate  `json:"certificates"`
	Sites         []Site         `json:"sites"`
}

// ReadCatalogue decodes and validates an onex-catalogue/1 document.
func ReadCatalogue(r io.Reader) (*Catalogue, error) {
	var c Catalogue
	if err := decodeStrict(r, &c); err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate checks the catalogue and returns an *InvalidError listing every problem.
func (c *Catalogue) Validate() error {
	var p problems
	if c.Format != CatalogueFormat {
		p.addf("format %q is not %q", c.Format, CatalogueFormat)
	}
	orgs := map[string]bool{}
	for i, o := range c.Organisations {
		p.code("organisation", i, o.Code, orgs)
		if o.Name == "" {
			p.addf("organisation %s: name is empty", o.Code)
		}
	}
	certs := map[string]bool{}
	for i, ct := range c.Certificates {
		p.code("certificate", i, ct.Code, certs)
		if !orgs[ct.Org] {
			p.addf("certificate %s: org %q is not in the catalogue", ct.Code, ct.Org)
		}
		if ct.Name == "" {
			p.addf("certificate %s: name is empty", ct.Code)
		}
		if len(ct.Levels) == 0 {
			p.addf("certificate %s: levels is empty", ct.Code)
		}
		for lv, rule := range ct.Levels {
			if !lv.Valid() {
				p.addf("certificate %s: level %q is not elementary, intermediate or advanced", ct.Code, lv)
				continue
			}
			if rule.PassMark <= 0 || rule.PassMark > 100 {
				p.addf("certificate %s level %s: pass_mark %v is not a percentage in (0, 100]", ct.Code, lv, rule.PassMark)
			}
			if rule.Credits < 0 {
				p.addf("certificate %s level %s: credits %v is negative", ct.Code, lv, rule.Credits)
			}
		}
	}
	sites := map[string]bool{}
	for i, s := range c.Sites {
		p.code("site", i, s.Code, sites)
		if s.Name == "" {
			p.addf("site %s: name is empty", s.Code)
		}
		if len(s.Rooms) == 0 {
			p.addf("site %s: rooms is empty", s.Code)
		}
		rooms := map[string]bool{}
		for _, r := range s.Rooms {
			if r == "" || rooms[r] {
				p.addf("site %s: room %q is empty or repeated", s.Code, r)
			}
			rooms[r] = true
		}
	}
	return p.err()
}

// code checks the code of entry i (from 0) of a list of what: not empty,
// and not one seen before, which it records in seen.
func (p *problems) code(what string, i int, code string, seen map[string]bool) {
	switch {
	case code == "":
		p.addf("%s %d: code is empty", what, i+1)
	case seen[code]:
		p.addf("%s %s: duplicate code", what, code)
	}
	seen[code] = true
}

// Certificate returns the certificate with the given code.
func (c *Catalogue) Certificate(code string) (Certificate, bool) {
	for _, ct := range c.Certificates {
		if ct.Code == code {
			return ct, true
		}
	}
	return Certificate{}, false
}

// Site returns the site with the given code.
func (c *Catalogue) Site(code string) (Site, bool) {
	for _, s := range c.Sites {
		if s.Code == code {
			return s, true
		}
	}
	return Site{}, false
}

// Rule returns the pass mark and credits of a certificate's level, or an
// error wrapping ErrInvalid when the catalogue has no such certificate or level.
func (c *Catalogue) Rule(certificate string, level Level) (LevelRule, error) {
	ct, ok := c.Certificate(certificate)
	if !ok {
		return LevelRule{}, invalidf("certificate %q is not in the catalogue", certificate)
	}
	rule, ok := ct.Levels[level]
	if !ok {
		return LevelRule{}, invalidf("certificate %s has no level %q", certificate, level)
	}
	return rule, nil
}
