package lambda

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sync"

	"github.com/rolecall/rolecall/internal/api"
	"github.com/rolecall/rolecall/internal/service/kms"
)

// A function whose KMSKeyArn is set has its environment variables
// encrypted with that key, as Lambda does ("Securing Lambda environment
// variables", AWS Lambda Developer Guide): at CreateFunction and
// UpdateFunctionConfiguration Lambda, on the caller's behalf, creates a
// grant on the key for the execution role (Decrypt, under the encryption
// context aws:lambda:FunctionArn = the function's ARN) and encrypts the
// variables with a data key from GenerateDataKey under that context. The
// envelope (the data key's ciphertext and the AES-256-GCM sealed
// variables) is then sealed with the server key like any function's
// variables. When an execution environment starts, Lambda decrypts the
// data key as the execution role (invokedBy lambda.amazonaws.com, so
// kms:ViaService is lambda.REGION.amazonaws.com), through the grant,
// without lambda:SourceFunctionArn; a refusal fails the invocation with
// Lambda's KMS* error.

// contextKey is the encryption context key Lambda binds the variables to.
const contextKey = "aws:lambda:FunctionArn"

// reKMSKeyARN is the model's pattern for KMSKeyArn.
var reKMSKeyARN = regexp.MustCompile(`^(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()$`)

// kmsEnvelope is what a KMS-encrypted function keeps of its variables.
type kmsEnvelope struct {
	DataKey []byte `json:"dataKey"` // GenerateDataKey's CiphertextBlob
	Sealed  []byte `json:"sealed"`  // nonce || AES-256-GCM(variables as JSON)
}

// kmsEnvs holds the variables decrypted for each runtime key, so that an
// invocation of a warm environment does not call KMS. fresh marks an entry
// decrypted for the environment about to start, which then needs no
// second Decrypt.
type kmsEnvs struct {
	mu      sync.Mutex
	entries map[string]*kmsEnvEntry
}

type kmsEnvEntry struct {
	vars     map[string]string
	envelope []byte
	fresh    bool
}

func (e *kmsEnvs) get(key string) *kmsEnvEntry {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.entries[key]
}

func (e *kmsEnvs) put(key string, v *kmsEnvEntry) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.entries == nil {
		e.entries = map[string]*kmsEnvEntry{}
	}
	e.entries[key] = v
}

// takeFresh reports whether key's entry was just decrypted, and marks it
// used.
func (e *kmsEnvs) takeFresh(key string) (*kmsEnvEntry, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v := e.entries[key]
	if v == nil {
		return nil, false
	}
	fresh := v.fresh
	v.fresh = false
	return v, fresh
}

func (e *kmsEnvs) drop(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.entries, key)
}

// onBehalf is the caller as Lambda calls KMS for it.
func onBehalf(p *api.Principal) *api.Principal {
	q := *p
	q.InvokedBy = servicePrincipal
	return &q
}

// encryptEnv encrypts vars with a data key of keyARN and grants the
// execution role Decrypt on it under the function's encryption context,
// both as the caller through Lambda. It returns the envelope to seal.
func (l *Lambda) encryptEnv(c *api.Call, keyARN, role, fnARN string, vars map[string]string) ([]byte, error) {
	if !reKMSKeyARN.MatchString(keyARN) {
		return nil, errValidationPattern(keyARN, "kMSKeyArn", `(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()`)
	}
	ec := map[string]string{contextKey: fnARN}
	p := onBehalf(c.Principal)
	call := func(op string, in any) (any, error) {
		return l.cfg.Invoker.Invoke(c.Context, api.Internal{Principal: p, Service: "kms", Operation: op, Input: in, Region: l.cfg.Region})
	}
	b, err := json.Marshal(vars)
	if err != nil {
		return nil, fmt.Errorf("lambda: environment: %w", err)
	}
	size := int32(32)
	out, err := call("GenerateDataKey", &kms.GenerateDataKeyInput{KeyId: keyARN, EncryptionContext: ec, NumberOfBytes: &size})
	if err != nil {
		return nil, kmsEnvError(err, "encrypt")
	}
	dk, ok := out.(*kms.GenerateDataKeyOutput)
	if !ok || dk == nil {
		return nil, fmt.Errorf("lambda: GenerateDataKey returned %T", out)
	}
	// The grant comes last, so that a caller refused the data key leaves
	// none behind.
	if _, err := call("CreateGrant", &kms.CreateGrantInput{
		KeyId: keyARN, GranteePrincipal: role, Operations: []string{"Decrypt"},
		Constraints: &kms.GrantConstraints{EncryptionContextEquals: ec},
	}); err != nil {
		return nil, kmsEnvError(err, "encrypt")
	}
	aead, err := dataCipher(dk.Plaintext)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}
	env, err := json.Marshal(kmsEnvelope{DataKey: dk.CiphertextBlob, Sealed: aead.Seal(nonce, nonce, b, []byte(fnARN))})
	if err != nil {
		return nil, fmt.Errorf("lambda: environment: %w", err)
	}
	return env, nil
}

func dataCipher(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("lambda: data key: %w", err)
	}
	return cipher.NewGCM(block)
}

// decryptEnv opens an envelope, decrypting its data key as p (the
// execution role's session, through Lambda).
func (l *Lambda) decryptEnv(ctx context.Context, p *api.Principal, envelope []byte, fnARN string) (map[string]string, error) {
	var e kmsEnvelope
	if err := json.Unmarshal(envelope, &e); err != nil {
		return nil, fmt.Errorf("lambda: environment of %s: %w", fnARN, err)
	}
	out, err := api.Invoke[*kms.DecryptOutput](ctx, l.cfg.Invoker, api.Internal{
		Principal: p, Service: "kms", Operation: "Decrypt", Region: l.cfg.Region,
		Input: &kms.DecryptInput{CiphertextBlob: e.DataKey, EncryptionContext: map[string]string{contextKey: fnARN}},
	})
	if err != nil {
		return nil, kmsEnvError(err, "decrypt")
	}
	if out == nil {
		return nil, errors.New("lambda: Decrypt returned nothing")
	}
	aead, err := dataCipher(out.Plaintext)
	if err != nil {
		return nil, err
	}
	ns := aead.NonceSize()
	if len(e.Sealed) < ns {
		return nil, fmt.Errorf("lambda: environment of %s: short envelope", fnARN)
	}
	b, err := aead.Open(nil, e.Sealed[:ns], e.Sealed[ns:], []byte(fnARN))
	if err != nil {
		return nil, fmt.Errorf("lambda: environment of %s: %w", fnARN, err)
	}
	var vars map[string]string
	if err := json.Unmarshal(b, &vars); err != nil {
		return nil, fmt.Errorf("lambda: environment of %s: %w", fnARN, err)
	}
	return vars, nil
}

// kmsMessages are Lambda's words for what KMS answered, by KMS's code.
var kmsMessages = map[string]struct{ code, message string }{
	"AccessDeniedException":      {"KMSAccessDeniedException", "Lambda was unable to %s the environment variables because KMS access was denied. Please check the function's KMS key settings. KMS Exception: AccessDeniedException KMS Message: %s"},
	"DisabledException":          {"KMSDisabledException", "Lambda was unable to %s the environment variables because the KMS key used is disabled. Please check the function's KMS key settings. KMS Exception: DisabledException KMS Message: %s"},
	"KMSInvalidStateException":   {"KMSInvalidStateException", "Lambda was unable to %s the environment variables because the KMS key used is in an invalid state. Please check the function's KMS key settings. KMS Exception: KMSInvalidStateException KMS Message: %s"},
	"NotFoundException":          {"KMSNotFoundException", "Lambda was unable to %s the environment variables because the KMS key was not found. Please check the function's KMS key settings. KMS Exception: NotFoundException KMS Message: %s"},
	"InvalidArnException":        {"KMSAccessDeniedException", "Lambda was unable to %s the environment variables because KMS access was denied. Please check the function's KMS key settings. KMS Exception: InvalidArnException KMS Message: %s"},
	"InvalidCiphertextException": {"KMSAccessDeniedException", "Lambda was unable to %s the environment variables because KMS access was denied. Please check the function's KMS key settings. KMS Exception: InvalidCiphertextException KMS Message: %s"},
}

// kmsEnvError renders KMS's answer as Lambda's KMS* error (502); errors
// that are not KMS's answers pass through.
func kmsEnvError(err error, verb string) error {
	var ae *api.Error
	if !errors.As(err, &ae) {
		return err
	}
	code := ae.Code
	if code == "AccessDenied" {
		code = "AccessDeniedException"
	}
	m, ok := kmsMessages[code]
	if !ok {
		if code == "ValidationException" {
			return errInvalidParam("%s", ae.Message)
		}
		return err
	}
	return &api.Error{Code: m.code, Status: http.StatusBadGateway, Message: fmt.Sprintf(m.message, verb, ae.Message)}
}

// isKMSEnvError reports whether err is one of Lambda's KMS* errors.
func isKMSEnvError(err error) (*api.Error, bool) {
	var ae *api.Error
	if !errors.As(err, &ae) {
		return nil, false
	}
	for _, m := range kmsMessages {
		if ae.Code == m.code && ae.Status == http.StatusBadGateway {
			return ae, true
		}
	}
	return nil, false
}

// runEnv returns the variables of a configuration about to run. Those of
// a KMS-encrypted function are decrypted as the execution role the first
// time a runtime key needs them; the environment that then starts uses
// them, and later environment starts decrypt again (verifyKMSEnv).
func (l *Lambda) runEnv(ctx context.Context, account string, cfg *config, key string) (map[string]string, error) {
	if cfg.KMSKeyArn == "" {
		return l.openEnv(account, cfg)
	}
	if e := l.kmsEnvs.get(key); e != nil {
		return e.vars, nil
	}
	envelope, err := l.cfg.Box.Open(cfg.SealedEnv, envAD(account, cfg.Name))
	if err != nil {
		return nil, fmt.Errorf("lambda: environment of %s/%s: %w", account, cfg.Name, err)
	}
	s, err := l.assumeRole(ctx, account, cfg.Role, cfg.Name, nil)
	if err != nil {
		var se *api.Error
		if errors.As(err, &se) {
			return nil, &api.Error{Code: "AccessDeniedException", Status: http.StatusForbidden,
				Message: "The role defined for the function cannot be assumed by Lambda."}
		}
		return nil, err
	}
	fnARN := functionARN(l.cfg.Region, account, cfg.Name)
	vars, err := l.decryptEnv(ctx, s.principal(account, cfg.Role, cfg.Name, "", l.now()), envelope, fnARN)
	if err != nil {
		return nil, err
	}
	l.kmsEnvs.put(key, &kmsEnvEntry{vars: vars, envelope: envelope, fresh: true})
	return vars, nil
}

// verifyKMSEnv decrypts a KMS-encrypted function's variables as the
// environment's role session p when an environment of key starts, unless
// they were decrypted for this start: a grant broken or a key disabled
// since stops new environments from starting.
func (l *Lambda) verifyKMSEnv(ctx context.Context, key string, p *api.Principal, fnARN string) error {
	e, fresh := l.kmsEnvs.takeFresh(key)
	if e == nil || fresh {
		return nil
	}
	_, err := l.decryptEnv(ctx, p, e.envelope, fnARN)
	return err
}

// sealKMSEnv encrypts vars with keyARN for the function ref (granting its
// role Decrypt) and seals the envelope with the server key.
func (l *Lambda) sealKMSEnv(c *api.Call, ref fnRef, keyARN, role string, vars map[string]string) ([]byte, error) {
	if vars == nil {
		vars = map[string]string{}
	}
	env, err := l.encryptEnv(c, keyARN, role, ref.arn(), vars)
	if err != nil {
		return nil, err
	}
	return l.cfg.Box.Seal(env, envAD(ref.Account, ref.Name)), nil
}

// callerVars returns the variables of cur, decrypting those of a
// KMS-encrypted function as the caller through Lambda.
func (l *Lambda) callerVars(c *api.Call, ref fnRef, cur *config) (map[string]string, error) {
	if cur.KMSKeyArn == "" {
		return l.openEnv(ref.Account, cur)
	}
	envelope, err := l.cfg.Box.Open(cur.SealedEnv, envAD(ref.Account, cur.Name))
	if err != nil {
		return nil, fmt.Errorf("lambda: environment of %s: %w", ref.arn(), err)
	}
	return l.decryptEnv(c.Context, onBehalf(c.Principal), envelope, ref.arn())
}

// kmsUpdate works out what an UpdateFunctionConfiguration does to the
// variables' encryption: with a key set (given now, or kept while the
// variables or the role change) the variables are encrypted again and
// the new role granted; a key removed seals them with the server key
// alone. changed reports whether sealed and key replace the current ones.
func (l *Lambda) kmsUpdate(c *api.Call, ref fnRef, cur *config, keyARN *string, role *string, env *environmentInput) (sealed []byte, key string, changed bool, err error) {
	key = cur.KMSKeyArn
	if keyARN != nil {
		key = *keyARN
	}
	r := cur.Role
	if role != nil {
		r = *role
	}
	switch {
	case key != "" && (keyARN != nil || env != nil || role != nil):
	case key == "" && cur.KMSKeyArn != "":
	default:
		return nil, key, false, nil
	}
	var vars map[string]string
	if env != nil {
		vars = env.Variables.m
	} else if vars, err = l.callerVars(c, ref, cur); err != nil {
		return nil, "", false, err
	}
	if key == "" {
		sealed, err = l.sealEnv(ref.Account, ref.Name, vars)
	} else {
		sealed, err = l.sealKMSEnv(c, ref, key, r, vars)
	}
	return sealed, key, err == nil, err
}

// showEnv fills in the variables of a KMS-encrypted function's
// configuration for GetFunction and GetFunctionConfiguration, decrypted
// with the caller's permissions through Lambda; when KMS refuses, the
// configuration says why in Environment.Error instead, as Lambda's does.
func (l *Lambda) showEnv(c *api.Call, ref fnRef, cfg *config, out *FunctionConfiguration) error {
	if cfg.KMSKeyArn == "" || len(cfg.SealedEnv) == 0 {
		return nil
	}
	vars, err := l.callerVars(c, ref, cfg)
	if ke, ok := isKMSEnvError(err); ok {
		out.Environment = &EnvironmentOut{Error: &EnvironmentError{ErrorCode: ke.Code, Message: ke.Message}}
		return nil
	}
	if err != nil {
		return err
	}
	if len(vars) > 0 {
		out.Environment = &EnvironmentOut{Variables: vars}
	}
	return nil
}
