package fabric

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"os"

	"github.com/hyperledger/fabric-gateway/pkg/identity"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Identity is one enrolled user of the organisation: the certificate always, the signer only
// when the service holds the user's private key (never for offline-signing users).
type Identity struct {
	Name string
	Role string
	ID   *identity.X509Identity
	Sign identity.Sign // nil: this user signs offline only
}

// Account is the user's account name, MSPID/enrollmentID.
func (id *Identity) Account() string { return wire.AccountID(id.MSPID(), id.Name) }

// MSPID is the user's organisation ("" for an identity without a certificate).
func (id *Identity) MSPID() string {
	if id.ID == nil {
		return ""
	}
	return id.ID.MspID()
}

// Viewer is the user as the read rules see it.
func (id *Identity) Viewer() wire.Viewer {
	return wire.Viewer{MSPID: id.MSPID(), Account: id.Account(), Role: id.Role}
}

// LoadIdentity reads a user's certificate and, when keyPath is not empty, its private key.
func LoadIdentity(mspID, name, role, certPath, keyPath string) (*Identity, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("read certificate of %s: %w", name, err)
	}
	var keyPEM []byte
	if keyPath != "" {
		if keyPEM, err = os.ReadFile(keyPath); err != nil {
			return nil, fmt.Errorf("read key of %s: %w", name, err)
		}
	}
	return NewIdentity(mspID, name, role, certPEM, keyPEM)
}

// NewIdentity builds an identity from PEM bytes; keyPEM may be nil.
func NewIdentity(mspID, name, role string, certPEM, keyPEM []byte) (*Identity, error) {
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("certificate of %s: %w", name, err)
	}
	id, err := identity.NewX509Identity(mspID, cert)
	if err != nil {
		return nil, fmt.Errorf("identity of %s: %w", name, err)
	}
	out := &Identity{Name: name, Role: role, ID: id}
	if keyPEM != nil {
		if out.Sign, err = NewSigner(keyPEM); err != nil {
			return nil, fmt.Errorf("key of %s: %w", name, err)
		}
		// A key of another certificate would sign what every peer refuses: say so here.
		key, _ := identity.PrivateKeyFromPEM(keyPEM) // NewSigner read it
		if pub, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok || !pub.Equal(key.(*ecdsa.PrivateKey).Public()) {
			return nil, fmt.Errorf("key of %s: not the key of its certificate", name)
		}
	}
	return out, nil
}

// NewSigner returns the SDK's signing function for an ECDSA private key in PEM form. It signs a
// digest as Fabric expects: ASN.1 DER, with S in the lower half of the curve order.
func NewSigner(keyPEM []byte) (identity.Sign, error) {
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	if _, ok := key.(*ecdsa.PrivateKey); !ok {
		return nil, errors.New("only ECDSA keys are supported")
	}
	return identity.NewPrivateKeySign(key)
}

// VerifyDigestSignature checks that sig is a valid low-S ECDSA signature of digest by the
// identity's certificate key. The offline flow checks it before sending anything to the peer, so
// a wrong key is a 400 with a clear message instead of an endorsement failure.
func VerifyDigestSignature(id *identity.X509Identity, digest, sig []byte) error {
	cert, err := identity.CertificateFromPEM(id.Credentials())
	if err != nil {
		return err
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return errors.New("certificate key is not ECDSA")
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(sig, &rs); err != nil {
		return fmt.Errorf("signature is not ASN.1 DER: %w", err)
	}
	if rs.S.Cmp(new(big.Int).Rsh(pub.Curve.Params().N, 1)) > 0 {
		return errors.New("signature S value is not in the lower half of the curve order, as Fabric requires")
	}
	if !ecdsa.VerifyASN1(pub, digest, sig) {
		return errors.New("signature does not match the digest and the caller's certificate")
	}
	return nil
}

// Digest is the SHA-256 digest Fabric signs, for callers that hash message bytes themselves.
func Digest(message []byte) []byte {
	d := sha256.Sum256(message)
	return d[:]
}
