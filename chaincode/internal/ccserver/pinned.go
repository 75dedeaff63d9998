package ccserver

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
)

// The gRPC settings of the shim's own chaincode server (fabric-chaincode-go/v2 shim/internal),
// which match the peer's side of the connection.
const (
	keepaliveTime     = time.Minute
	keepaliveTimeout  = 20 * time.Second
	keepaliveMinTime  = time.Minute
	connectionTimeout = 5 * time.Second
	maxMessageSize    = 100 * 1024 * 1024
)

// errNotPinned is the handshake's refusal of a client certificate that chains to the client CA but
// is not the pinned one.
var errNotPinned = errors.New("client certificate is not the pinned one of the server's peer")

// newPinnedServer is cs as a gRPC server that completes the TLS handshake only with a client whose
// leaf certificate is pin (and which chains to cs's client CA), and logs every refusal. The shim's
// ChaincodeServer.Start takes no such check, so the server is built here around cs.Connect.
//
// files, when not nil, serves the server's pair from its files, taking a renewed pair on the next
// handshake (reload.go); nil serves cs.TLSProps' pair.
func newPinnedServer(name string, cs *shim.ChaincodeServer, pin *x509.Certificate, files *servedPair) (*grpc.Server, error) {
	if cs.CC == nil {
		return nil, errors.New("no chaincode to serve")
	}
	cfg, err := pinnedTLSConfig(cs.TLSProps, pin)
	if err != nil {
		return nil, err
	}
	if files != nil {
		cfg.Certificates, cfg.GetCertificate = nil, files.certificate
	}
	srv := grpc.NewServer(
		grpc.Creds(refusalLog{TransportCredentials: credentials.NewTLS(cfg), name: name}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: keepaliveTime, Timeout: keepaliveTimeout}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: keepaliveMinTime, PermitWithoutStream: true}),
		grpc.MaxSendMsgSize(maxMessageSize),
		grpc.MaxRecvMsgSize(maxMessageSize),
		grpc.ConnectionTimeout(connectionTimeout),
	)
	peer.RegisterChaincodeServer(srv, cs)
	return srv, nil
}

// pinnedTLSConfig is the server side of mutual TLS from props: the client must present a
// certificate that chains to props.ClientCACerts and is pin itself. pin must be a TLS client
// certificate of that CA, else no client could ever connect and the error says so at start.
func pinnedTLSConfig(props shim.TLSProperties, pin *x509.Certificate) (*tls.Config, error) {
	pair, err := tls.X509KeyPair(props.Cert, props.Key)
	if err != nil {
		return nil, fmt.Errorf("CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(props.ClientCACerts) {
		return nil, errors.New("CHAINCODE_CLIENT_CA_CERT holds no PEM certificate")
	}
	if _, err := pin.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return nil, fmt.Errorf("CHAINCODE_CLIENT_CERT (%s) is no TLS client certificate of CHAINCODE_CLIENT_CA_CERT: %w", describe(pin), err)
	}
	want := pin.Raw
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		// No resumption: every connection is a full handshake with the checks below.
		SessionTicketsDisabled: true,
		// Called after the chain to ClientCAs was verified, on every connection.
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errNotPinned
			}
			if leaf := cs.PeerCertificates[0]; !bytes.Equal(leaf.Raw, want) {
				return fmt.Errorf("%w: certificate %s", errNotPinned, describe(leaf))
			}
			return nil
		},
	}, nil
}

// refusalLog logs the server's refused TLS handshakes: the remote address and why, with the
// refused certificate's subject and fingerprint when a chain check failed. A connection closed
// before its hello (a TCP health check) is not logged.
type refusalLog struct {
	credentials.TransportCredentials
	name string
}

// ServerHandshake runs the TLS handshake and logs a refusal.
func (r refusalLog) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	c, info, err := r.TransportCredentials.ServerHandshake(conn)
	if err != nil && !errors.Is(err, io.EOF) {
		log.Printf("%s chaincode: refused the TLS client %s: %s", r.name, conn.RemoteAddr(), refusal(err))
	}
	return c, info, err
}

// Clone keeps the logging.
func (r refusalLog) Clone() credentials.TransportCredentials {
	return refusalLog{TransportCredentials: r.TransportCredentials.Clone(), name: r.name}
}

// refusal is err, naming the certificate a failed chain check refused.
func refusal(err error) string {
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) && len(verr.UnverifiedCertificates) > 0 {
		return fmt.Sprintf("%v (certificate %s)", err, describe(verr.UnverifiedCertificates[0]))
	}
	return err.Error()
}

// describe names a certificate in logs: its subject, issuer and SHA-256 fingerprint.
func describe(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return fmt.Sprintf("subject %q issuer %q sha256 %s", c.Subject.String(), c.Issuer.String(), hex.EncodeToString(sum[:]))
}
