package memstub

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// attrOID is the certificate extension where Fabric CA puts enrollment attributes.
var attrOID = asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}

// CA issues test certificates shaped like Fabric CA's enrollment certificates.
type CA struct {
	key    *ecdsa.PrivateKey
	cert   *x509.Certificate
	serial int64
}

// NewCA creates a self-signed ECDSA P-256 CA.
func NewCA() (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{key: key, cert: cert, serial: 1}, nil
}

// Identity returns a serialized identity (the proposal creator) for a certificate with CN cn and the
// given attributes (nil: no attribute extension).
func (ca *CA) Identity(mspID, cn string, attrs map[string]string) ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	ca.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(ca.serial), Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{"client"}},
		NotBefore: time.Unix(0, 0), NotAfter: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if attrs != nil {
		value, err := json.Marshal(map[string]any{"attrs": attrs})
		if err != nil {
			return nil, err
		}
		tmpl.ExtraExtensions = []pkix.Extension{{Id: attrOID, Value: value}}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("signing certificate for %s: %w", cn, err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: certPEM})
}

// User returns the identity Fabric CA would enroll: hf.EnrollmentID and recv.role attributes.
func (ca *CA) User(mspID, enrollmentID, role string) ([]byte, error) {
	return ca.Identity(mspID, enrollmentID, map[string]string{"hf.EnrollmentID": enrollmentID, "recv.role": role})
}
