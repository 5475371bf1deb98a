package main

// A mutation breaks a valid manifest in one way that both small and cue vet
// must reject.
type mutation struct {
	name  string
	apply func(o *obj, g *gen)
}

// setPath sets the value at a path of nested structs, creating them.
func setPath(o *obj, path []string, v any) {
	if len(path) == 1 {
		o.set(path[0], v)
		return
	}
	child, _ := o.get(path[0]).(obj)
	child = append(obj(nil), child...)
	setPath(&child, path[1:], v)
	o.set(path[0], child)
}

// firstItem returns the first struct of a list field, adding the list with
// item when there is none, so that a mutation can break it.
func firstItem(o *obj, field string, item obj) obj {
	if l, ok := o.get(field).([]any); ok && len(l) > 0 {
		if it, ok := l[0].(obj); ok {
			return it
		}
	}
	o.set(field, []any{item})
	return item
}

func setItem(o *obj, field string, it obj) {
	l := o.get(field).([]any)
	l[0] = it
}

var mutations = map[string][]mutation{
	"Article": {
		{"enum: layout not one of the values", func(o *obj, _ *gen) { o.set("layout", "sideways") }},
		{"field not allowed: summary misspelt", func(o *obj, _ *gen) { o.rename("summary", "sumary") }},
		{"wrong type: readingMinutes a string", func(o *obj, _ *gen) { o.set("readingMinutes", "7 min") }},
		{"bound: readingMinutes above 90", func(o *obj, _ *gen) { o.set("readingMinutes", 240) }},
		{"missing required field: body", func(o *obj, _ *gen) { o.del("body") }},
		{"regex: a tag with spaces and capitals", func(o *obj, _ *gen) {
			o.set("tags", []any{"climate", "Breaking News"})
		}},
		{"list.MaxItems: ten tags", func(o *obj, _ *gen) {
			o.set("tags", flow{"climate", "transport", "housing", "education", "health", "energy", "culture", "food", "music", "science"})
		}},
		{"time.Format: publishedAt not RFC 3339", func(o *obj, _ *gen) { o.set("publishedAt", "15/01/2026 09:00") }},
		{"strings.MinRunes: summary too short", func(o *obj, _ *gen) { o.set("summary", "Too short.") }},
		{"conditional required field: sponsored without sponsor", func(o *obj, _ *gen) {
			o.del("sponsor")
			o.set("sponsored", true)
		}},
	},
	"Author": {
		{"missing required field: email", func(o *obj, _ *gen) { o.del("email") }},
		{"regex: email without @", func(o *obj, _ *gen) { o.set("email", "ada at example.org") }},
		{"enum: role not one of the values", func(o *obj, _ *gen) { o.set("role", "admin") }},
		{"field not allowed: twitter outside social", func(o *obj, _ *gen) { o.set("twitter", "@someone") }},
		{"wrong type: active a string", func(o *obj, _ *gen) { o.set("active", "yes") }},
		{"regex: a language name, not a code", func(o *obj, _ *gen) { o.set("languages", []any{"english"}) }},
		{"time.Format: joined not a date", func(o *obj, _ *gen) { o.set("joined", "March 2021") }},
		{"strings.MinRunes: one-letter name", func(o *obj, _ *gen) { o.set("name", "A") }},
	},
	"Product": {
		{"enum: price.currency not one of the values", func(o *obj, _ *gen) { setPath(o, []string{"price", "currency"}, "BTC") }},
		{"bound: negative price.amount", func(o *obj, _ *gen) { setPath(o, []string{"price", "amount"}, -5) }},
		{"wrong type: stock a string", func(o *obj, _ *gen) { o.set("stock", "12") }},
		{"regex: sku in lower case", func(o *obj, _ *gen) { o.set("sku", "abc-123") }},
		{"missing required field: name", func(o *obj, _ *gen) { o.del("name") }},
		{"field not allowed: price.discount", func(o *obj, _ *gen) { setPath(o, []string{"price", "discount"}, 15) }},
		{"enum: variants[0].size not one of the values", func(o *obj, _ *gen) {
			it := firstItem(o, "variants", obj{{"sku", "KOB-00001-M"}, {"size", "M"}, {"stock", 3}})
			it = append(obj(nil), it...)
			it.set("size", "XXXL")
			setItem(o, "variants", it)
		}},
		{"bound: rating above 5", func(o *obj, _ *gen) { o.set("rating", 7.5) }},
		{"list.MinItems: no images", func(o *obj, _ *gen) { o.set("images", []any{}) }},
	},
	"Event": {
		{"enum: format not one of the values", func(o *obj, _ *gen) { o.set("format", "virtual") }},
		{"regex: venue.address.country a name", func(o *obj, _ *gen) {
			if o.get("venue") == nil {
				o.set("venue", obj{{"name", "The Harbour Hall"}, {"address", obj{{"street", "1 Quay Road"}, {"city", "Lisbon"}, {"postalCode", "1100-148"}}}})
			}
			setPath(o, []string{"venue", "address", "country"}, "France")
		}},
		{"regex: agenda[0].time 25:00", func(o *obj, _ *gen) {
			it := firstItem(o, "agenda", obj{{"time", "09:00"}, {"title", "Welcome"}})
			it = append(obj(nil), it...)
			it.set("time", "25:00")
			setItem(o, "agenda", it)
		}},
		{"bound: negative ticketing.price", func(o *obj, _ *gen) {
			setPath(o, []string{"ticketing", "free"}, false)
			setPath(o, []string{"ticketing", "price"}, -10)
		}},
		{"missing required field: description", func(o *obj, _ *gen) { o.del("description") }},
		{"wrong type: speakers a string", func(o *obj, g *gen) { o.set("speakers", g.someAuthor(nil)) }},
		{"bound: venue.capacity 0", func(o *obj, _ *gen) {
			if o.get("venue") == nil {
				o.set("venue", obj{{"name", "The Harbour Hall"}, {"address", obj{{"street", "1 Quay Road"}, {"city", "Lisbon"}, {"postalCode", "1100-148"}, {"country", "PT"}}}})
			}
			setPath(o, []string{"venue", "capacity"}, 0)
		}},
		{"conditional required field: online without onlineUrl", func(o *obj, _ *gen) {
			o.set("format", "online")
			o.del("onlineUrl")
		}},
	},
}
