package main

// The schemas package of the generated corpus: one file per kind plus the
// shared helpers. Every kind embeds _#Entry, so that `cue vet -d '#Kind'`,
// which sees the reserved fields kind, id and status, agrees with small,
// which strips them unless the definition declares them. Helpers are hidden
// (_#Name): a regular definition is a kind.
var schemaFiles = []struct{ name, src string }{
	{"entry.cue", `package schemas

import (
	"list"
	"strings"
)

// _#Entry declares the reserved fields every manifest may carry.
_#Entry: {
	kind:    string
	id?:     _#ID
	status?: string
}

// _#ID is the id of a manifest, for fields that refer to one.
_#ID: =~"^[a-z0-9][a-z0-9._-]{0,127}$"

_#Slug:  =~"^[a-z0-9]+(-[a-z0-9]+)*$"
_#URL:   =~"^https://[a-z0-9.-]+\\.[a-z]{2,}(/[A-Za-z0-9._~%/-]*)?$"
_#Email: =~"^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$"
_#Tag:   =~"^[a-z][a-z0-9-]{1,31}$"

_#Image: {
	src:     _#URL
	alt:     string & strings.MinRunes(3) & strings.MaxRunes(200)
	width?:  int & >0 & <=8000
	height?: int & >0 & <=8000
	credit?: string
}

_#SEO: {
	title?:      string & strings.MaxRunes(70)
	description: string & strings.MinRunes(50) & strings.MaxRunes(160)
	keywords?: [...string] & list.MaxItems(10)
	noindex:    *false | bool
	canonical?: _#URL
}
`},
	{"article.cue", `package schemas

import (
	"list"
	"strings"
	"time"
)

// An Article is written by an Author, whom it names by id.
#Article: {
	_#Entry
	kind: "Article"

	title:      string & strings.MinRunes(3) & strings.MaxRunes(120)
	subtitle?:  string & strings.MaxRunes(200)
	slug:       _#Slug
	author:     _#ID @ref(Author)
	coAuthors?: [..._#ID] & list.MaxItems(4) & list.UniqueItems() @ref(Author)
	section:    "news" | "opinion" | "culture" | "science" | "technology" | "business" | "sport"
	layout:     *"standard" | "feature" | "brief" | "longread"
	tags:       [..._#Tag] & list.MinItems(1) & list.MaxItems(8)
	publishedAt?:   time.Format(time.RFC3339)
	updatedAt?:     time.Format(time.RFC3339)
	readingMinutes: int & >=1 & <=90
	summary:        string & strings.MinRunes(20) & strings.MaxRunes(300)
	hero?:          _#Image
	body:           string & strings.MinRunes(80)
	seo?:           _#SEO
	related?: [...{
		kind: "Article" | "Product" | "Event"
		id:   _#ID
	}] & list.MaxItems(6)
	allowComments: *true | bool
	sponsored:     *false | bool
	if sponsored {
		sponsor!: string & strings.MinRunes(2)
	}
}
`},
	{"author.cue", `package schemas

import (
	"list"
	"strings"
	"time"
)

// An Author writes articles and speaks at events.
#Author: {
	_#Entry
	kind: "Author"

	name:  string & strings.MinRunes(2) & strings.MaxRunes(80)
	email: _#Email
	role:  *"contributor" | "staff" | "editor" | "guest"
	bio?:  string & strings.MaxRunes(1200)
	avatar?: _#Image
	social?: {
		twitter?:  =~"^@[A-Za-z0-9_]{1,15}$"
		mastodon?: =~"^@[A-Za-z0-9_]+@[a-z0-9.-]+$"
		website?:  _#URL
	}
	languages: [...=~"^[a-z]{2}(-[A-Z]{2})?$"] & list.MinItems(1) & list.MaxItems(6)
	joined:    time.Format("2006-01-02")
	active:    *true | bool
	beats?: [...string & strings.MinRunes(2)] & list.MaxItems(5)
}
`},
	{"product.cue", `package schemas

import (
	"list"
	"strings"
	"time"
)

// A Product is sold in the shop.
#Product: {
	_#Entry
	kind: "Product"

	name:        string & strings.MinRunes(2) & strings.MaxRunes(100)
	sku:         =~"^[A-Z]{3}-[0-9]{5}$"
	brand:       string & strings.MinRunes(2)
	description: string & strings.MinRunes(40) & strings.MaxRunes(4000)
	price: {
		amount:           number & >0 & <100000
		currency:         *"EUR" | "USD" | "GBP" | "JPY"
		discountPercent?: int & >=0 & <=90
	}
	stock:      int & >=0
	categories: [...string & strings.MinRunes(2)] & list.MinItems(1) & list.MaxItems(5)
	variants?: [...{
		sku:    =~"^[A-Z]{3}-[0-9]{5}-[A-Z0-9]{1,4}$"
		color?: string & strings.MinRunes(3)
		size?:  "XS" | "S" | "M" | "L" | "XL" | "XXL"
		stock:  int & >=0
	}] & list.MaxItems(12)
	dimensions?: {
		width:  number & >0
		height: number & >0
		depth:  number & >0
		unit:   *"cm" | "mm" | "in"
	}
	weightKg?:   number & >0 & <=500
	images:      [..._#Image] & list.MinItems(1) & list.MaxItems(10)
	featured:    *false | bool
	rating?:     number & >=0 & <=5
	releasedOn?: time.Format("2006-01-02")
	seo?:        _#SEO
}
`},
	{"event.cue", `package schemas

import (
	"list"
	"strings"
	"time"
)

// An Event happens at a venue, online, or both.
#Event: {
	_#Entry
	kind: "Event"

	title:    string & strings.MinRunes(5) & strings.MaxRunes(140)
	startsAt: time.Format(time.RFC3339)
	endsAt?:  time.Format(time.RFC3339)
	timezone: =~"^[A-Z][A-Za-z_]+/[A-Z][A-Za-z_]+$"
	format:   *"in-person" | "online" | "hybrid"
	venue?: {
		name: string & strings.MinRunes(2)
		address: {
			street:     string
			city:       string & strings.MinRunes(2)
			postalCode: =~"^[A-Z0-9][A-Z0-9 -]{2,9}$"
			country:    =~"^[A-Z]{2}$"
		}
		capacity?: int & >0 & <=100000
	}
	onlineUrl?: _#URL
	if format != "in-person" {
		onlineUrl!: _#URL
	}
	speakers: [..._#ID] & list.MaxItems(20)
	ticketing: {
		free:      bool
		price?:    number & >=0
		currency?: "EUR" | "USD" | "GBP"
		url?:      _#URL
	}
	agenda?: [...{
		time:     =~"^([01][0-9]|2[0-3]):[0-5][0-9]$"
		title:    string & strings.MinRunes(3)
		speaker?: _#ID
	}]
	description: string & strings.MinRunes(40)
	tags?:       [..._#Tag] & list.MaxItems(8)
}
`},
}
