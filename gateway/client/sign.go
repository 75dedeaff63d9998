package client

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
)

// Signer signs a SHA-256 digest and returns the signature as Fabric wants it.
type Signer func(digest []byte) ([]byte, error)

// Identity is who signs offline: its certificate, which every proposal it signs must name as
// its creator, and a Signer of its key.
type Identity struct {
	MSPID string // when set, the creator's MSP ID must be this one
	Cert  *x509.Certificate
	Sign  Signer
}

// NewIdentity reads a PEM certificate and its ECDSA private key (PEM, as NewSigner) and checks
// that they belong together, so that a key given with another identity's certificate is refused
// before anything is sent. mspID may be "".
func NewIdentity(mspID string, certPEM, keyPEM []byte) (*Identity, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM CERTIFICATE block in the certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	if pub, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		return nil, fmt.Errorf("the key is not the key of the certificate %q", cert.Subject.CommonName)
	}
	return &Identity{MSPID: mspID, Cert: cert, Sign: func(digest []byte) ([]byte, error) { return signLowS(key, digest) }}, nil
}

// NewSigner returns a Signer for an ECDSA private key in PEM (PKCS #8 or SEC 1), as the Fabric
// CA and cryptogen write it. Its signatures are ASN.1 DER with a low S, the form Fabric accepts.
func NewSigner(keyPEM []byte) (Signer, error) {
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	return func(digest []byte) ([]byte, error) { return signLowS(key, digest) }, nil
}

// parseKey reads an ECDSA private key in PEM (PKCS #8 or SEC 1).
func parseKey(keyPEM []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("no PEM block in the key")
	}
	var key *ecdsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, errors.New("only ECDSA keys are supported")
		}
		key = ek
	} else if key, err = x509.ParseECPrivateKey(block.Bytes); err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	return key, nil
}

// signLowS signs digest and folds S into the lower half of the curve order: Fabric refuses a
// signature with a high S, which is the same signature's malleable twin.
func signLowS(key *ecdsa.PrivateKey, digest []byte) ([]byte, error) {
	r, s, err := ecdsa.Sign(rand.Reader, key, digest)
	if err != nil {
		return nil, err
	}
	n := key.Params().N
	if s.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		s.Sub(n, s)
	}
	return asn1.Marshal(struct{ R, S *big.Int }{r, s})
}
