// Package ccaas is the peer's external builder for chaincode-as-a-service packages, as Fabric's
// "External Builders and Launchers" describes it: detect claims a package whose metadata.json says
// "type": "ccaas", build checks and copies its connection.json (and any META-INF), release hands the
// peer that connection.json. It does what network/builder/bin/{detect,build,release} do in POSIX sh,
// for images that have no shell.
package ccaas

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// AddressEnv names the environment variable that, when set in the peer's environment (and
// propagated to the builder through chaincode.externalBuilders[].propagateEnvironment), replaces
// the address packaged in connection.json: a peer in a container may reach the chaincode server
// under another name than the one the package was made with.
const AddressEnv = "RECV_CCAAS_ADDRESS"

// ErrNotClaimed is returned by Detect for a package this builder does not handle; the peer then
// tries its next builder.
var ErrNotClaimed = errors.New("not a ccaas package")

// Detect claims the package when METADATA_DIR/metadata.json has "type": "ccaas" (any letter case).
func Detect(sourceDir, metadataDir string) error {
	data, err := os.ReadFile(filepath.Join(metadataDir, "metadata.json"))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotClaimed, err)
	}
	var meta struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		return fmt.Errorf("%w: metadata.json: %v", ErrNotClaimed, err)
	}
	if !strings.EqualFold(meta.Type, "ccaas") {
		return fmt.Errorf("%w: type %q", ErrNotClaimed, meta.Type)
	}
	return nil
}

// Build checks that SOURCE_DIR/connection.json names an address and copies it, with any META-INF
// folder, into OUTPUT_DIR.
func Build(sourceDir, metadataDir, outputDir string) error {
	src := filepath.Join(sourceDir, "connection.json")
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("ccaas build: %s is missing from the package's code.tar.gz: %w", src, err)
	}
	conn, err := parseConnection(data)
	if err != nil {
		return fmt.Errorf("ccaas build: %w", err)
	}
	if addr, _ := conn["address"].(string); addr == "" {
		return errors.New("ccaas build: connection.json has no address")
	}
	if err := os.WriteFile(filepath.Join(outputDir, "connection.json"), data, 0o644); err != nil {
		return err
	}
	metaInf := filepath.Join(sourceDir, "META-INF")
	if info, err := os.Stat(metaInf); err == nil && info.IsDir() {
		return copyTree(metaInf, filepath.Join(outputDir, "META-INF"))
	}
	return nil
}

// Release writes RELEASE_DIR/chaincode/server/connection.json from the build output, with its
// address replaced by address when that is not empty, and copies META-INF/statedb (index
// definitions) to RELEASE_DIR/statedb.
func Release(buildDir, releaseDir, address string) error {
	statedb := filepath.Join(buildDir, "META-INF", "statedb")
	if info, err := os.Stat(statedb); err == nil && info.IsDir() {
		if err := copyTree(statedb, filepath.Join(releaseDir, "statedb")); err != nil {
			return err
		}
	}
	data, err := os.ReadFile(filepath.Join(buildDir, "connection.json"))
	if err != nil {
		return fmt.Errorf("ccaas release: %w", err)
	}
	if address != "" {
		conn, err := parseConnection(data)
		if err != nil {
			return fmt.Errorf("ccaas release: %w", err)
		}
		conn["address"] = address
		if data, err = json.Marshal(conn); err != nil {
			return err
		}
	}
	dir := filepath.Join(releaseDir, "chaincode", "server")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "connection.json"), data, 0o644)
}

func parseConnection(data []byte) (map[string]any, error) {
	var conn map[string]any
	if err := json.Unmarshal(data, &conn); err != nil {
		return nil, fmt.Errorf("connection.json: %w", err)
	}
	return conn, nil
}

// copyTree copies the regular files and folders under src into dst (created as needed).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, 0o644)
		default:
			return nil // links and special files never come from a chaincode package
		}
	})
}
