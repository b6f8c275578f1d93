package attr

// MaxItemSize is DynamoDB's item size limit, 400 KB: "Item size has
// exceeded the maximum allowed size".
const MaxItemSize = 400 * 1024

// Size returns the bytes an item counts for: for each attribute the
// UTF-8 length of its name plus the size of its value.
func (it Item) Size() int {
	n := 0
	for name, v := range it {
		n += len(name) + v.Size()
	}
	return n
}

// Size returns the bytes a value counts for, as "Item sizes and formats"
// gives them: strings and binaries their length, numbers one byte per two
// significant digits plus one, BOOL and NULL one byte, sets the sum of
// their elements, lists and maps three bytes plus one per element plus
// their elements (and, for maps, the names).
func (v Value) Size() int {
	switch v.Type {
	case S:
		return len(v.Str)
	case N:
		return numberSize(v.Num)
	case B:
		return len(v.Bin)
	case BOOL, NULL:
		return 1
	case L:
		n := 3
		for _, e := range v.List {
			n += 1 + e.Size()
		}
		return n
	case M:
		n := 3
		for k, e := range v.Map {
			n += 1 + len(k) + e.Size()
		}
		return n
	case SS:
		n := 0
		for _, s := range v.Strs {
			n += len(s)
		}
		return n
	case NS:
		n := 0
		for _, d := range v.Nums {
			n += numberSize(d)
		}
		return n
	case BS:
		n := 0
		for _, b := range v.Bins {
			n += len(b)
		}
		return n
	}
	return 0
}
