package security

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOrdererConfig_BlockCuttingIsTheOrderingOrganisations: block cutting (BatchTimeout,
// BatchSize) lives in the channel's orderer group, governed by the ordering organisation's admins.
// The core enterprise and both banks together cannot change it; `network.sh config-update`,
// which collects the signatures the changed group's policy names, changes it with the ordering
// organisation's admin, and sets it back. docs/PERFORMANCE.md tunes it with this command.
func TestOrdererConfig_BlockCuttingIsTheOrderingOrganisations(t *testing.T) {
	const path = `.channel_group.groups.Orderer.values.BatchTimeout.value.timeout`
	before := fetchConfig(t, "core", path)
	require.NotEmpty(t, before)
	set := func(v string) string { return path + ` = "` + v + `"` }

	out, err := nw.Script("config-update", "batch-by-members", set("400ms"), "core", "bank1", "bank2")
	require.Error(t, err, "members changed the orderer group: %s", out)
	require.Contains(t, string(out), "/Channel/Orderer/BatchTimeout not satisfied")
	require.Equal(t, before, fetchConfig(t, "core", path), "the refused update changed nothing")

	out, err = nw.Script("config-update", "batch", set("400ms"))
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "signed by the admins of orderer")
	require.Equal(t, `"400ms"`, fetchConfig(t, "core", path))

	out, err = nw.Script("config-update", "batch-back", path+" = "+before)
	require.NoError(t, err, "%s", out)
	require.Equal(t, before, fetchConfig(t, "core", path))
}
