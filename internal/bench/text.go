package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Word lists for readable, deterministic filler text.
var (
	adjectives = strings.Fields(`quiet bold hidden early late small vast local global
		careful sudden steady curious open shared urban rural coastal northern
		southern forgotten modern ancient digital practical public private simple
		complex fragile resilient unexpected familiar bright slow rapid patient`)
	nouns = strings.Fields(`river city garden network archive harbour library market
		bridge festival laboratory orchestra railway museum village forest engine
		kitchen council startup school factory studio island valley theatre
		hospital newsroom vineyard observatory workshop bakery stadium`)
	verbs = strings.Fields(`rebuilds reshapes rethinks measures welcomes questions
		funds restores maps connects protects celebrates documents tests explains
		revisits transforms powers feeds hosts`)
	adverbs = strings.Fields(`slowly quietly again together differently openly
		carefully locally at-last overnight`)
	fillerSubjects = strings.Fields(`residents engineers historians volunteers
		researchers farmers teachers designers editors musicians planners
		nurses developers curators`)
	fillerVerbs = strings.Fields(`argue note explain suggest remember expect
		worry hope insist observe describe estimate`)
	fillerObjects = []string{
		"the plan will take longer than promised",
		"the budget has doubled since the first estimate",
		"small changes add up over a decade",
		"nobody had measured it properly before",
		"the old building still matters to the neighbourhood",
		"the data tells a more complicated story",
		"the first results are encouraging",
		"the schedule depends on the weather",
		"visitors come back more often than expected",
		"the cost of doing nothing is higher",
		"the community was consulted at every step",
		"the prototype survived its first winter",
	}
	firstNames = strings.Fields(`Ada Grace Alan Barbara Edsger Frances Linus Margaret
		José Zoë Bjørn Łukasz Siobhán Amélie Chidi Priya Kenji Mei Olu Ingrid
		Tomás Noor Élodie Henrik Aiyana Dmitri Fatima Sven Leilani Mateo`)
	lastNames = strings.Fields(`Lovelace Hopper Turing Liskov Dijkstra Allen Torvalds
		Hamilton García Müller Kowalski O'Brien Nakamura Okafor Sharma Chen
		Andersen Dubois Novak Rossi Haddad Lindqvist Moreau Kaur Petrov Santos`)
	cities = []struct{ city, country, postal, tz string }{
		{"Paris", "FR", "75011", "Europe/Paris"},
		{"Berlin", "DE", "10115", "Europe/Berlin"},
		{"London", "GB", "EC1A 1BB", "Europe/London"},
		{"Lisbon", "PT", "1100-148", "Europe/Lisbon"},
		{"New York", "US", "10001", "America/New_York"},
		{"Toronto", "CA", "M5V 2T6", "America/Toronto"},
		{"Tokyo", "JP", "100-0001", "Asia/Tokyo"},
		{"Nairobi", "KE", "00100", "Africa/Nairobi"},
		{"São Paulo", "BR", "01310-100", "America/Sao_Paulo"},
		{"Kraków", "PL", "31-001", "Europe/Warsaw"},
	}
	streets = strings.Fields(`Station Market Harbour Church Mill Park Bridge
		Garden Castle Orchard`)
	tagWords = strings.Fields(`climate transport housing education health energy
		culture food music science technology politics economy sport travel
		design history cities data open-source ai privacy books film`)
	productWords = strings.Fields(`Lamp Kettle Backpack Notebook Headphones Chair
		Desk Jacket Bottle Speaker Keyboard Blanket Mug Tent Bicycle Watch`)
	brands       = strings.Fields(`Nordlys Atelier Kobo Fjell Marée Tessera Hana Orbit Vela`)
	categoryList = strings.Fields(`home kitchen outdoor office audio apparel travel
		lighting furniture accessories`)
	colors = strings.Fields(`black white slate sand olive navy rust ochre`)
	sizes  = strings.Fields(`XS S M L XL XXL`)
	langs  = strings.Fields(`en fr de es pt-BR ja it nl pl en-GB`)
)

func pick[T any](r *rand.Rand, l []T) T { return l[r.IntN(len(l))] }

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func headline(r *rand.Rand) string {
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("How the %s %s %s %s", pick(r, adjectives), pick(r, nouns), pick(r, verbs), "its "+pick(r, nouns))
	case 1:
		return fmt.Sprintf("The %s %s that %s the %s", pick(r, adjectives), pick(r, nouns), pick(r, verbs), pick(r, nouns))
	case 2:
		return fmt.Sprintf("%s %s: a %s %s", capitalize(pick(r, adjectives)), pick(r, nouns)+"s", pick(r, adjectives), pick(r, nouns))
	default:
		return fmt.Sprintf("Inside the %s %s", pick(r, nouns), pick(r, nouns))
	}
}

func sentence(r *rand.Rand) string {
	switch r.IntN(3) {
	case 0:
		return fmt.Sprintf("The %s %s %s the %s %s.", pick(r, adjectives), pick(r, nouns), pick(r, verbs), pick(r, nouns), strings.ReplaceAll(pick(r, adverbs), "-", " "))
	case 1:
		return fmt.Sprintf("%s %s that %s.", capitalize(pick(r, fillerSubjects)), pick(r, fillerVerbs), pick(r, fillerObjects))
	default:
		return fmt.Sprintf("In the %s %s, %s %s that %s.", pick(r, adjectives), pick(r, nouns), pick(r, fillerSubjects), pick(r, fillerVerbs), pick(r, fillerObjects))
	}
}

func sentences(r *rand.Rand, n int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = sentence(r)
	}
	return strings.Join(s, " ")
}

// paragraphs returns n paragraphs wrapped at 76 columns, separated by blank
// lines, as a literal block would hold them.
func paragraphs(r *rand.Rand, n int) text {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(wrap(sentences(r, 2+r.IntN(3)), 76))
	}
	return text(b.String())
}

func wrap(s string, width int) string {
	var b strings.Builder
	col := 0
	for _, w := range strings.Fields(s) {
		if col > 0 && col+1+len(w) > width {
			b.WriteString("\n")
			col = 0
		} else if col > 0 {
			b.WriteString(" ")
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	b.WriteString("\n")
	return b.String()
}

// slugify turns a title into lower case words joined by '-'.
func slugify(s string) string {
	s = asciiFold(strings.ToLower(s))
	var b strings.Builder
	dash := false
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// asciiFold drops diacritics: "Zoë" → "Zoe", "Łukasz" → "Lukasz".
func asciiFold(s string) string { return folder.Replace(s) }

var folder = strings.NewReplacer(
	"é", "e", "É", "E", "è", "e", "ë", "e", "á", "a", "ã", "a", "à", "a",
	"í", "i", "ó", "o", "ö", "o", "ø", "o", "Ø", "O", "ú", "u", "ü", "u",
	"ł", "l", "Ł", "L", "ß", "ss", "ç", "c", "ñ", "n",
)

func timestamp(r *rand.Rand, year int) string {
	return fmt.Sprintf("%d-%02d-%02dT%02d:%02d:00Z", year, 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(12)*5)
}

func day(r *rand.Rand, from, to int) string {
	return fmt.Sprintf("%d-%02d-%02d", from+r.IntN(to-from+1), 1+r.IntN(12), 1+r.IntN(28))
}

func tagsFor(r *rand.Rand, n int) []any {
	seen := map[string]bool{}
	var out []any
	for len(out) < n {
		t := pick(r, tagWords)
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
