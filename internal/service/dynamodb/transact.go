package dynamodb

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/dynamodb/attr"
	"github.com/rolecall/rolecall/internal/service/dynamodb/expr"
	"github.com/rolecall/rolecall/internal/store"
)

// This file is TransactWriteItems and TransactGetItems: up to 100
// actions on distinct items, all in one serializable store transaction,
// each action authorized as its own DynamoDB action.

const (
	maxTransactItems = 100
	// tokenTTL is how long a ClientRequestToken makes a
	// TransactWriteItems idempotent.
	tokenTTL = 10 * time.Minute
	// tokensTable: account/region/ClientRequestToken → transactToken.
	tokensTable = "ddb_tx_tokens"
)

// TransactWriteItemsInput is TransactWriteItems' request.
type TransactWriteItemsInput struct {
	TransactItems               []TransactWriteItem
	ReturnConsumedCapacity      string `json:",omitempty"`
	ReturnItemCollectionMetrics string `json:",omitempty"`
	ClientRequestToken          string `json:",omitempty"`
}

// TransactWriteItem is one action of a write transaction: exactly one
// member is set.
type TransactWriteItem struct {
	ConditionCheck *TransactAction `json:",omitempty"`
	Put            *TransactAction `json:",omitempty"`
	Delete         *TransactAction `json:",omitempty"`
	Update         *TransactAction `json:",omitempty"`
}

// TransactAction is the members of ConditionCheck, Put, Delete and Update
// (Put has Item, the others Key; Update has UpdateExpression).
type TransactAction struct {
	TableName                           string
	Key                                 attr.Item         `json:",omitempty"`
	Item                                attr.Item         `json:",omitempty"`
	UpdateExpression                    string            `json:",omitempty"`
	ConditionExpression                 string            `json:",omitempty"`
	ExpressionAttributeNames            map[string]string `json:",omitempty"`
	ExpressionAttributeValues           expr.Values       `json:",omitempty"`
	ReturnValuesOnConditionCheckFailure string            `json:",omitempty"`
}

// TransactWriteItemsOutput is TransactWriteItems' answer.
type TransactWriteItemsOutput struct {
	ConsumedCapacity      []ConsumedCapacity                 `json:",omitempty"`
	ItemCollectionMetrics map[string][]ItemCollectionMetrics `json:",omitempty"`
}

// TransactGetItemsInput is TransactGetItems' request.
type TransactGetItemsInput struct {
	TransactItems          []TransactGetItem
	ReturnConsumedCapacity string `json:",omitempty"`
}

// TransactGetItem is one read of a TransactGetItems.
type TransactGetItem struct {
	Get *TransactGet
}

// TransactGet is a transactional read of one item.
type TransactGet struct {
	TableName                string
	Key                      attr.Item
	ProjectionExpression     string            `json:",omitempty"`
	ExpressionAttributeNames map[string]string `json:",omitempty"`
}

// TransactGetItemsOutput is TransactGetItems' answer.
type TransactGetItemsOutput struct {
	Responses        []ItemResponse
	ConsumedCapacity []ConsumedCapacity `json:",omitempty"`
}

// ItemResponse is one item a TransactGetItems read (empty: none).
type ItemResponse struct {
	Item *attr.Item `json:",omitempty"`
}

// CancellationReason is why one action of a cancelled transaction failed
// ("None" for those that did not).
type CancellationReason struct {
	Code    string
	Message string    `json:",omitempty"`
	Item    attr.Item `json:",omitempty"`
}

// transactToken is what a ClientRequestToken remembers.
type transactToken struct {
	Hash string
	Time time.Time
}

// actionKinds are a write action's member name and IAM action.
var actionKinds = []struct{ member, action string }{
	{"ConditionCheck", "dynamodb:ConditionCheckItem"},
	{"Put", "dynamodb:PutItem"},
	{"Delete", "dynamodb:DeleteItem"},
	{"Update", "dynamodb:UpdateItem"},
}

// transactOps are the operations whose parameters each action takes.
var transactOps = map[string]expr.Op{"ConditionCheck": expr.DeleteItem, "Put": expr.PutItem, "Delete": expr.DeleteItem, "Update": expr.UpdateItem}

// prepared is one checked write action.
type prepared struct {
	kind string // ConditionCheck, Put, Delete, Update
	a    *TransactAction
	t    *Table
	key  string
	w    *writeExprs
}

// action returns the one action a TransactWriteItem holds.
func (it *TransactWriteItem) action() (kind, iam string, a *TransactAction, n int) {
	for i, a2 := range []*TransactAction{it.ConditionCheck, it.Put, it.Delete, it.Update} {
		if a2 != nil {
			kind, iam, a = actionKinds[i].member, actionKinds[i].action, a2
			n++
		}
	}
	return kind, iam, a, n
}

// transactExprs parses a write action's expressions. A transaction's
// action may carry expression names and values without an expression to
// use them: DynamoDB accepts them there.
func transactExprs(kind string, a *TransactAction) (*writeExprs, error) {
	names, values := a.ExpressionAttributeNames, map[string]attr.Value(a.ExpressionAttributeValues)
	if a.ConditionExpression == "" && a.UpdateExpression == "" {
		names, values = nil, nil
	}
	return parseWriteExprs(transactOps[kind], a.ConditionExpression, nil, "", a.UpdateExpression, nil, names, values)
}

// authorizeTransactWrite authorizes each action of a transaction as its
// own operation is (ConditionCheckItem, PutItem, DeleteItem, UpdateItem),
// on the item's attributes and those its expressions read and write,
// before any table is looked up: a table the caller may not use is
// AccessDeniedException whether it exists or not.
func (d *DynamoDB) authorizeTransactWrite(c *api.Call, in *TransactWriteItemsInput) error {
	if c.Authorize == nil {
		return nil
	}
	for i := range in.TransactItems {
		kind, iam, a, n := in.TransactItems[i].action()
		if n != 1 {
			continue // refused as invalid after authorization
		}
		res, err := d.tableResource(c, a.TableName)
		if err != nil {
			return err
		}
		keyItem := a.Key
		if kind == "Put" {
			keyItem = a.Item
		}
		k := itemKeys(iam, d.tableFor(c, a.TableName), keyItem)
		if w, err := transactExprs(kind, a); err == nil {
			k.names(w.exprNames())
		}
		if err := c.Authorize(iam, res, k.values()); err != nil {
			return err
		}
	}
	return nil
}

func (d *DynamoDB) transactWriteItems(c *api.Call) (any, error) {
	var in TransactWriteItemsInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	c.Trail.RequestParameters = transactTrail(&in)
	if len(in.TransactItems) == 0 || len(in.TransactItems) > maxTransactItems {
		return nil, validation("1 validation error detected: Value '%d' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to %d", len(in.TransactItems), maxTransactItems)
	}
	if e := checkCapacityMode(in.ReturnConsumedCapacity); e != nil {
		return nil, e
	}
	var names []string
	for i := range in.TransactItems {
		if _, _, a, n := in.TransactItems[i].action(); n == 1 {
			names = append(names, a.TableName)
		}
	}
	if err := d.authorizeTransactWrite(c, &in); err != nil {
		return nil, err
	}
	return d.withTables(c, names, func(tables map[string]*Table) (any, error) {
		var acts []prepared
		seen := map[string]bool{}
		for i := range in.TransactItems {
			kind, _, a, n := in.TransactItems[i].action()
			if n != 1 {
				return nil, validation("TransactItems can only contain one of Check, Put, Update or Delete")
			}
			t := tables[a.TableName]
			p := prepared{kind: kind, a: a, t: t}
			keyItem := a.Key
			if kind == "Put" {
				keyItem = a.Item
			}
			var err error
			if p.w, err = transactExprs(kind, a); err != nil {
				return nil, invalid(err)
			}
			if kind == "ConditionCheck" && p.w.cond == nil {
				return nil, validation("The ConditionExpression is required for a ConditionCheck")
			}
			switch kind {
			case "Put":
				if e := t.checkItem(a.Item, msgItemSize); e != nil {
					return nil, e
				}
			default:
				if e := t.checkKey(a.Key); e != nil {
					return nil, e
				}
			}
			if p.w.update != nil {
				for _, name := range p.w.update.TopLevel() {
					if t.isKeyAttr(name) {
						return nil, validation(attr.ParamsInvalid+"Cannot update attribute %s. This attribute is part of the key", name)
					}
				}
			}
			p.key = t.itemKey(keyItem)
			if seen[t.ID+"\x00"+p.key] {
				return nil, validation("Transaction request cannot include multiple operations on one item")
			}
			seen[t.ID+"\x00"+p.key] = true
			acts = append(acts, p)
		}
		hash := requestHash(in.TransactItems)
		tokenKey := c.Account + "/" + c.Region + "/" + in.ClientRequestToken
		now := d.cfg.Now()
		var us []*usage
		_, err := d.cfg.Store.Update(c.Context, func(tx store.Tx) error {
			us = us[:0]
			if in.ClientRequestToken != "" {
				var tok transactToken
				err := store.GetJSON(c.Context, tx, tokensTable, tokenKey, &tok)
				switch {
				case err == nil && now.Sub(tok.Time) < tokenTTL:
					if tok.Hash != hash {
						return api.Errorf(400, "IdempotentParameterMismatchException", "Specified idempotent token was used with different request parameters within the 10 minutes.")
					}
					return errDone
				case err != nil && !errors.Is(err, store.ErrNotFound):
					return err
				}
			}
			byTable := map[string]*usage{}
			olds := make([]attr.Item, len(acts))
			reasons := make([]CancellationReason, len(acts))
			failed := false
			for i, p := range acts {
				old, err := getItem(c.Context, tx, p.key)
				if err != nil {
					return err
				}
				olds[i] = old
				reasons[i] = CancellationReason{Code: "None"}
				if p.w.cond != nil && !p.w.cond.Eval(old) {
					failed = true
					reasons[i] = CancellationReason{Code: "ConditionalCheckFailed", Message: "The conditional request failed"}
					if p.a.ReturnValuesOnConditionCheckFailure == "ALL_OLD" {
						reasons[i].Item = old
					}
				}
			}
			if failed {
				return canceled(reasons)
			}
			for i, p := range acts {
				u, ok := byTable[p.t.Name]
				if !ok {
					u = newUsage(in.ReturnConsumedCapacity, p.t)
					if u != nil {
						u.factor = 2
					}
					byTable[p.t.Name] = u
					us = append(us, u)
				}
				var new attr.Item
				switch p.kind {
				case "ConditionCheck":
					u.read(p.t, nil, olds[i].Size(), true)
					continue
				case "Put":
					new = p.a.Item
				case "Update":
					var err error
					if new, err = applyUpdate(p.t, p.w.update, olds[i], p.a.Key); err != nil {
						return cancelInvalid(err, i, len(acts))
					}
				}
				if err := d.commitItem(c.Context, tx, c, p.t, p.key, olds[i], new, u); err != nil {
					return err
				}
			}
			if in.ClientRequestToken != "" {
				return store.PutJSON(c.Context, tx, tokensTable, tokenKey, transactToken{Hash: hash, Time: now})
			}
			return nil
		})
		if err != nil && !errors.Is(err, errDone) {
			return nil, err
		}
		out := TransactWriteItemsOutput{ConsumedCapacity: results(us)}
		for _, p := range acts {
			key := p.a.Key
			if p.kind == "Put" {
				key = p.t.keyOf(p.a.Item)
			}
			if m := itemMetrics(p.t, in.ReturnItemCollectionMetrics, key); m != nil && p.kind != "ConditionCheck" {
				if out.ItemCollectionMetrics == nil {
					out.ItemCollectionMetrics = map[string][]ItemCollectionMetrics{}
				}
				out.ItemCollectionMetrics[p.t.Name] = append(out.ItemCollectionMetrics[p.t.Name], *m)
			}
		}
		return rawOutput(out)
	})
}

// errDone ends a transaction that a ClientRequestToken already applied.
var errDone = errors.New("dynamodb: transaction already applied")

// cancelInvalid turns the validation error of action i's update (a
// wrong operand type, a number overflow, an item grown past 400 KB) into
// the transaction's cancellation with reason ValidationError, as
// DynamoDB answers it; other errors pass unchanged.
func cancelInvalid(err error, i, n int) error {
	var e *api.Error
	if !errors.As(err, &e) || e.Code != "ValidationException" {
		return err
	}
	reasons := make([]CancellationReason, n)
	for j := range reasons {
		reasons[j] = CancellationReason{Code: "None"}
	}
	reasons[i] = CancellationReason{Code: "ValidationError", Message: e.Message}
	return canceled(reasons)
}

// canceled is TransactionCanceledException with its reasons.
func canceled(reasons []CancellationReason) *api.Error {
	codes := make([]string, len(reasons))
	for i, r := range reasons {
		codes[i] = r.Code
	}
	e := api.Errorf(400, "TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons for specific reasons [%s]", strings.Join(codes, ", "))
	e.Fields = map[string]any{"CancellationReasons": reasons}
	return e
}

// requestHash identifies a transaction's actions for its
// ClientRequestToken.
func requestHash(items []TransactWriteItem) string {
	b, err := json.Marshal(items)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// transactTrail is TransactWriteItems' requestParameters: each action's
// table, key and expressions, never item contents.
func transactTrail(in *TransactWriteItemsInput) map[string]any {
	var list []any
	for i := range in.TransactItems {
		kind, _, a, n := in.TransactItems[i].action()
		if n != 1 {
			continue
		}
		key := a.Key
		if kind == "Put" {
			key = nil
		}
		e := trailParams(a.TableName, key, a.ConditionExpression, a.UpdateExpression, "", a.ExpressionAttributeNames, "")
		list = append(list, map[string]any{strings.ToLower(kind[:1]) + kind[1:]: e})
	}
	m := map[string]any{"transactItems": list}
	if in.ClientRequestToken != "" {
		m["clientRequestToken"] = in.ClientRequestToken
	}
	return m
}

func (d *DynamoDB) transactGetItems(c *api.Call) (any, error) {
	var in TransactGetItemsInput
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	var list []any
	for _, g := range in.TransactItems {
		if g.Get != nil {
			list = append(list, map[string]any{"get": trailParams(g.Get.TableName, g.Get.Key, "", "", g.Get.ProjectionExpression, g.Get.ExpressionAttributeNames, "")})
		}
	}
	c.Trail.RequestParameters = map[string]any{"transactItems": list}
	if len(in.TransactItems) == 0 || len(in.TransactItems) > maxTransactItems {
		return nil, validation("1 validation error detected: Value '%d' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to %d", len(in.TransactItems), maxTransactItems)
	}
	if e := checkCapacityMode(in.ReturnConsumedCapacity); e != nil {
		return nil, e
	}
	type read struct {
		g   *TransactGet
		t   *Table
		key string
		p   *expr.Projection
	}
	var reads []read
	seen := map[string]bool{}
	for _, it := range in.TransactItems {
		g := it.Get
		if g == nil {
			return nil, validation("1 validation error detected: Value null at 'transactItems.1.member.get' failed to satisfy constraint: Member must not be null")
		}
		if c.Authorize != nil {
			// Authorized before the table is looked up, as GetItem is.
			res, err := d.tableResource(c, g.TableName)
			if err != nil {
				return nil, err
			}
			k := getKeys("dynamodb:GetItem", expr.BatchGetItem, d.tableFor(c, g.TableName), g.Key, g.ProjectionExpression, nil, g.ExpressionAttributeNames)
			if err := c.Authorize("dynamodb:GetItem", res, k.values()); err != nil {
				return nil, err
			}
		}
		t, err := d.itemTable(c, g.TableName)
		if err != nil {
			return nil, err
		}
		if e := t.checkKey(g.Key); e != nil {
			return nil, e
		}
		names := g.ExpressionAttributeNames
		if g.ProjectionExpression == "" {
			names = nil // accepted without a projection, as DynamoDB does
		}
		proj, err := parseProjection(expr.BatchGetItem, g.ProjectionExpression, nil, names)
		if err != nil {
			return nil, invalid(err)
		}
		key := t.itemKey(g.Key)
		if seen[t.ID+"\x00"+key] {
			return nil, validation("Transaction request cannot include multiple operations on one item")
		}
		seen[t.ID+"\x00"+key] = true
		reads = append(reads, read{g: g, t: t, key: key, p: proj})
	}
	out := TransactGetItemsOutput{Responses: make([]ItemResponse, len(reads))}
	var us []*usage
	// A read-only transaction: Update gives one consistent snapshot.
	_, err := d.cfg.Store.Update(c.Context, func(tx store.Tx) error {
		us = us[:0]
		byTable := map[string]*usage{}
		for i, r := range reads {
			it, err := getItem(c.Context, tx, r.key)
			if err != nil {
				return err
			}
			u, ok := byTable[r.t.Name]
			if !ok {
				u = newUsage(in.ReturnConsumedCapacity, r.t)
				if u != nil {
					u.factor = 2
				}
				byTable[r.t.Name] = u
				us = append(us, u)
			}
			u.read(r.t, nil, it.Size(), true)
			out.Responses[i] = ItemResponse{}
			if it != nil {
				p := r.p.Apply(it)
				if p == nil {
					p = attr.Item{}
				}
				out.Responses[i].Item = &p
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.ConsumedCapacity = results(us)
	return rawOutput(out)
}
