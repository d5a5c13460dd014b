package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/ssh"
)

// The small providers: tls (real RSA keys, kept only in the engine's state, as the real provider
// keeps them) and random (real randomness). Every input of theirs forces a replacement.

var providers = map[string]func() (pulumirpc.ResourceProviderServer, error){
	"azure-native": azureProvider,
	"kubernetes":   kubernetesProvider,
	"command":      commandProvider,
	"tls":          tlsProvider,
	"random":       randomProvider,
}

func providerNames() []string {
	var names []string
	for n := range providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// stateless: what exists lives in the engine's state only (nothing to read back or delete).
func stateless(t *resourceType) *resourceType {
	t.replaceOnAnyChange = true
	t.remove = func(string, resource.PropertyMap) error { return nil }
	t.read = nil
	return t
}

func tlsProvider() (pulumirpc.ResourceProviderServer, error) {
	key := stateless(&resourceType{create: func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
		if a := str(ins, "algorithm"); a != "RSA" {
			return "", nil, fmt.Errorf("the local cloud's tls makes RSA keys only, not %q", a)
		}
		bits := 2048
		if v, ok := ins["rsaBits"]; ok && v.IsNumber() {
			bits = int(v.NumberValue())
		}
		priv, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return "", nil, err
		}
		pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return "", nil, err
		}
		spki, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
		if err != nil {
			return "", nil, err
		}
		encode := func(typ string, der []byte) string {
			return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
		}
		sum := sha256.Sum256(spki)
		sshKey, err := ssh.NewPublicKey(&priv.PublicKey)
		if err != nil {
			return "", nil, err
		}
		secret := func(s string) resource.PropertyValue { return resource.MakeSecret(resource.NewStringProperty(s)) }
		return hex.EncodeToString(sum[:20]), resource.PropertyMap{
			"privateKeyPem":      secret(encode("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(priv))),
			"privateKeyPemPkcs8": secret(encode("PRIVATE KEY", pkcs8)),
			"publicKeyPem":       resource.NewStringProperty(encode("PUBLIC KEY", spki)),
			// As the tls provider writes it: OpenSSH's SHA-256 fingerprint of the key.
			"publicKeyFingerprintSha256": resource.NewStringProperty(ssh.FingerprintSHA256(sshKey)),
		}, nil
	}})
	return &standIn{pkg: "tls", version: "5.6.1", types: map[string]*resourceType{
		"tls:index/privateKey:PrivateKey": key,
	}}, nil
}

func randomProvider() (pulumirpc.ResourceProviderServer, error) {
	str := stateless(&resourceType{create: func(ins resource.PropertyMap) (string, resource.PropertyMap, error) {
		length := 8
		if v, ok := ins["length"]; ok && v.IsNumber() {
			length = int(v.NumberValue())
		}
		flag := func(k string, def bool) bool {
			if v, ok := ins[resource.PropertyKey(k)]; ok && v.IsBool() {
				return v.BoolValue()
			}
			return def
		}
		alphabet := ""
		if flag("lower", true) {
			alphabet += "abcdefghijklmnopqrstuvwxyz"
		}
		if flag("upper", true) {
			alphabet += "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		}
		if flag("numeric", true) {
			alphabet += "0123456789"
		}
		if flag("special", true) {
			alphabet += "!@#$%&*()-_=+[]{}<>:?"
		}
		out := make([]byte, length)
		for i := range out {
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
			if err != nil {
				return "", nil, err
			}
			out[i] = alphabet[n.Int64()]
		}
		return string(out), resource.PropertyMap{"result": resource.NewStringProperty(string(out))}, nil
	}})
	return &standIn{pkg: "random", version: "4.21.2", types: map[string]*resourceType{
		"random:index/randomString:RandomString": str,
	}}, nil
}

// plainJSON is a property value as the JSON an API server takes: secrets opened, unknowns and
// nulls left out.
func plainJSON(v resource.PropertyValue) any {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	switch {
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			if e.IsNull() || e.ContainsUnknowns() {
				continue
			}
			out[string(k)] = plainJSON(e)
		}
		return out
	case v.IsArray():
		out := []any{}
		for _, e := range v.ArrayValue() {
			out = append(out, plainJSON(e))
		}
		return out
	case v.IsString():
		return v.StringValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsBool():
		return v.BoolValue()
	}
	return nil
}
