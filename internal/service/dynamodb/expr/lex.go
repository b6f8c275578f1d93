package expr

import (
	"fmt"
	"strings"

	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
)

// MaxExpressionSize is the byte limit of each expression parameter,
// counted on the text as sent (before names and values are substituted):
// "Expression size has exceeded the maximum allowed size; expression
// size: N".
const MaxExpressionSize = 4096

// tokKind is the lexical class of a token.
type tokKind uint8

const (
	tEOF      tokKind = iota
	tName             // an identifier: a letter or '_', then letters, digits, '_'
	tAttrName         // #name
	tAttrVal          // :name
	tNumber           // digits (a list index)
	tPunct            // ( ) [ ] , . = <> < <= > >= + -
	tIllegal          // any other character, a lone '#' or ':'
)

// token is one lexeme with its byte span in the source, which syntax
// errors quote.
type token struct {
	kind     tokKind
	text     string
	pos, end int
}

// lex splits an expression into tokens, ending with an EOF token at the
// end of the text. It never fails: characters outside the language
// become tIllegal tokens, which the parser reports where it meets them.
func lex(s string) []token {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
			continue
		case isNameStart(c):
			j := i + 1
			for j < len(s) && isNamePart(s[j]) {
				j++
			}
			toks = append(toks, token{tName, s[i:j], i, j})
			i = j
			continue
		case isDigit(c):
			j := i + 1
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			toks = append(toks, token{tNumber, s[i:j], i, j})
			i = j
			continue
		case c == '#' || c == ':':
			j := i + 1
			for j < len(s) && isNamePart(s[j]) {
				j++
			}
			kind := tAttrName
			if c == ':' {
				kind = tAttrVal
			}
			if j == i+1 {
				kind = tIllegal
			}
			toks = append(toks, token{kind, s[i:j], i, j})
			i = j
			continue
		case c == '<' && i+1 < len(s) && (s[i+1] == '>' || s[i+1] == '='):
			toks = append(toks, token{tPunct, s[i : i+2], i, i + 2})
			i += 2
			continue
		case c == '>' && i+1 < len(s) && s[i+1] == '=':
			toks = append(toks, token{tPunct, s[i : i+2], i, i + 2})
			i += 2
			continue
		case strings.IndexByte("()[],.=<>+-", c) >= 0:
			toks = append(toks, token{tPunct, s[i : i+1], i, i + 1})
			i++
			continue
		}
		// One character (a whole UTF-8 sequence) outside the language.
		j := i + 1
		for j < len(s) && s[j]&0xC0 == 0x80 {
			j++
		}
		toks = append(toks, token{tIllegal, s[i:j], i, j})
		i = j
	}
	return append(toks, token{tEOF, "", len(s), len(s)})
}

func isNameStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isNamePart(c byte) bool { return isNameStart(c) || isDigit(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// syntaxError is DynamoDB's message for the token at i: the token, and
// the text from the token before it to the token after it.
func syntaxError(src string, toks []token, i int) string {
	t := toks[i]
	text := t.text
	if t.kind == tEOF {
		text = "<EOF>"
	}
	from, to := t.pos, t.end
	if i > 0 {
		from = toks[i-1].pos
	}
	if i+1 < len(toks) {
		to = toks[i+1].end
	}
	return `Syntax error; token: "` + text + `", near: "` + src[from:to] + `"`
}

// isReserved reports whether name is one of DynamoDB's reserved words,
// in any case.
func isReserved(name string) bool {
	_, ok := reservedSet[strings.ToUpper(name)]
	return ok
}

// reservedSet is reservedWords as a set; it is never written after
// package initialisation.
var reservedSet = func() map[string]struct{} {
	words := strings.Fields(reservedWords)
	set := make(map[string]struct{}, len(words))
	for _, w := range words {
		set[w] = struct{}{}
	}
	return set
}()

// invalid returns the *attr.Error "Invalid <kind>: <msg>".
func invalid(kind, msg string) error {
	return &attr.Error{Message: "Invalid " + kind + ": " + msg}
}

// checkText applies the checks every expression parameter gets before
// it is parsed: not empty, not over MaxExpressionSize.
func checkText(kind, text string) error {
	if strings.TrimSpace(text) == "" {
		return invalid(kind, "The expression can not be empty;")
	}
	if len(text) > MaxExpressionSize {
		return invalid(kind, fmt.Sprintf("Expression size has exceeded the maximum allowed size; expression size: %d", len(text)))
	}
	return nil
}

// errCat is a class of semantic error. DynamoDB parses an expression
// whole before judging it, then reports one error by a fixed priority of
// classes; the parser keeps the first error of each class.
type errCat uint8

const (
	catParens errCat = iota
	catUnknownFunction
	catMisusedFunction
	catReserved
	catSection
	catAttrName
	catAttrVal
	catOverlap
	catConflict
	catOperand
	catDistinct
	catFunction
	numCats
)

// semErrs holds the first message of each class.
type semErrs [numCats]string

func (e *semErrs) add(c errCat, format string, args ...any) {
	if e[c] == "" {
		e[c] = fmt.Sprintf(format, args...)
	}
}

// first returns the message of the first class in order that has one.
func (e *semErrs) first(order []errCat) string {
	for _, c := range order {
		if e[c] != "" {
			return e[c]
		}
	}
	return ""
}
