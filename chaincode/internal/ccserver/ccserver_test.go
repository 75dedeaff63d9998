package ccserver

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTLSFromEnv_DisabledByDefault(t *testing.T) {
	t.Setenv("CHAINCODE_TLS_DISABLED", "")
	props, err := tlsFromEnv()
	require.NoError(t, err)
	require.True(t, props.Disabled)
}

func TestTLSFromEnv_ReadsKeyCertAndOptionalClientCA(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"key.pem", "cert.pem", "ca.pem"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(name), 0o600))
	}
	t.Setenv("CHAINCODE_TLS_DISABLED", "false")
	t.Setenv("CHAINCODE_TLS_KEY", filepath.Join(dir, "key.pem"))
	t.Setenv("CHAINCODE_TLS_CERT", filepath.Join(dir, "cert.pem"))
	t.Setenv("CHAINCODE_CLIENT_CA_CERT", "")
	props, err := tlsFromEnv()
	require.NoError(t, err)
	require.False(t, props.Disabled)
	require.Equal(t, "key.pem", string(props.Key))
	require.Nil(t, props.ClientCACerts)

	t.Setenv("CHAINCODE_CLIENT_CA_CERT", filepath.Join(dir, "ca.pem"))
	props, err = tlsFromEnv()
	require.NoError(t, err)
	require.Equal(t, "ca.pem", string(props.ClientCACerts))
}

func TestTLSFromEnv_Refusals(t *testing.T) {
	t.Setenv("CHAINCODE_TLS_DISABLED", "maybe")
	_, err := tlsFromEnv()
	require.ErrorContains(t, err, "CHAINCODE_TLS_DISABLED")

	t.Setenv("CHAINCODE_TLS_DISABLED", "false")
	t.Setenv("CHAINCODE_TLS_KEY", "")
	_, err = tlsFromEnv()
	require.ErrorContains(t, err, "CHAINCODE_TLS_KEY is required")

	t.Setenv("CHAINCODE_TLS_KEY", filepath.Join(t.TempDir(), "missing.pem"))
	_, err = tlsFromEnv()
	require.ErrorContains(t, err, "CHAINCODE_TLS_KEY")
}

func TestRun_ServerNeedsChaincodeID(t *testing.T) {
	t.Setenv("CHAINCODE_SERVER_ADDRESS", "127.0.0.1:0")
	t.Setenv("CHAINCODE_ID", "")
	require.ErrorContains(t, Run("test", nil), "CHAINCODE_ID is required")
}

func TestRun_APinNeedsTLS(t *testing.T) {
	t.Setenv("CHAINCODE_SERVER_ADDRESS", "127.0.0.1:0")
	t.Setenv("CHAINCODE_ID", "receivables_v1:0123abcd")
	t.Setenv("CHAINCODE_TLS_DISABLED", "true")
	t.Setenv("CHAINCODE_CLIENT_CERT", filepath.Join(t.TempDir(), "cert.pem"))
	require.ErrorContains(t, Run("test", nil), "CHAINCODE_CLIENT_CERT needs TLS")
}
