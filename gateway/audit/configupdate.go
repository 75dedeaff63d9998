package audit

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// A configuration block after the genesis carries the update that made it (ConfigEnvelope's
// LastUpdate) and the signatures collected for it. The orderers and peers accept it only when
// every element it modifies is authorised by that element's modification policy in the
// configuration in force (Fabric's configtx validator); the audit checks the same from the blocks,
// so a configuration change no honest orderer or peer would have accepted (a member added, an MSP's
// roots or revocation list changed, a policy weakened without the admins the policy names) is
// named, not trusted.

// configChange is one element the update modifies: where it is, the policy that authorises it
// and the group that policy's relative name is resolved in.
type configChange struct {
	path      string   // e.g. /Channel/Application/Bank1MSP/MSP
	modPolicy string   // as the element in force names it
	scope     []string // the group a relative modPolicy lives in
}

// verifyConfigUpdate checks the update of a configuration envelope against the configuration
// before it (prev) and returns what is not authorised ("" when all is).
func verifyConfigUpdate(prev *common.Config, ce *common.ConfigEnvelope, at time.Time) (string, error) {
	env := ce.GetLastUpdate()
	if env == nil {
		return "the configuration carries no update: nothing authorised it", nil
	}
	var payload common.Payload
	if err := proto.Unmarshal(env.GetPayload(), &payload); err != nil {
		return "", fmt.Errorf("decode configuration update payload: %w", err)
	}
	var cue common.ConfigUpdateEnvelope
	if err := proto.Unmarshal(payload.GetData(), &cue); err != nil {
		return "", fmt.Errorf("decode configuration update envelope: %w", err)
	}
	var cu common.ConfigUpdate
	if err := proto.Unmarshal(cue.GetConfigUpdate(), &cu); err != nil {
		return "", fmt.Errorf("decode configuration update: %w", err)
	}
	// The ordering organisations' admins sign the orderer group's changes.
	msps, err := membersOf(prev, "Application", "Orderer")
	if err != nil {
		return "", err
	}
	// Signatures that do not verify count for nothing, as in Fabric's policy evaluation.
	var signers []signer
	seen := map[string]bool{}
	for _, cs := range cue.GetSignatures() {
		var sh common.SignatureHeader
		if err := proto.Unmarshal(cs.GetSignatureHeader(), &sh); err != nil {
			continue
		}
		msg := append(append([]byte(nil), cs.GetSignatureHeader()...), cue.GetConfigUpdate()...)
		s, err := msps.verify(sh.GetCreator(), msg, cs.GetSignature(), at)
		if err != nil || seen[string(sh.GetCreator())] {
			continue
		}
		seen[string(sh.GetCreator())] = true
		signers = append(signers, s)
	}
	var changes []configChange
	if err := modified([]string{"Channel"}, cu.GetWriteSet(), prev.GetChannelGroup(), &changes); err != nil {
		return err.Error(), nil
	}
	if len(changes) == 0 {
		return "the update modifies nothing", nil
	}
	for _, c := range changes {
		ok, err := policySatisfied(prev, c.scope, c.modPolicy, signers)
		if err != nil {
			return fmt.Sprintf("%s: its modification policy %q: %v", c.path, c.modPolicy, err), nil
		}
		if !ok {
			return fmt.Sprintf("%s is modified without its modification policy %q (signed by %s)", c.path, c.modPolicy, signerNames(signers)), nil
		}
	}
	return "", nil
}

// modified collects the elements of the write set w whose version differs from the one in force
// (cur): each is authorised by the modification policy it has in force. A new element is covered
// by its parent group's change (adding or removing a member changes the group's version).
func modified(path []string, w, cur *common.ConfigGroup, out *[]configChange) error {
	if w == nil || cur == nil {
		return nil
	}
	here := "/" + strings.Join(path, "/")
	if w.GetVersion() != cur.GetVersion() {
		if w.GetVersion() != cur.GetVersion()+1 {
			return fmt.Errorf("%s: version %d after %d", here, w.GetVersion(), cur.GetVersion())
		}
		*out = append(*out, configChange{path: here, modPolicy: cur.GetModPolicy(), scope: path})
	}
	for _, k := range sortedKeys(w.GetValues()) {
		if old, ok := cur.GetValues()[k]; ok && w.GetValues()[k].GetVersion() != old.GetVersion() {
			*out = append(*out, configChange{path: here + "/" + k, modPolicy: old.GetModPolicy(), scope: path})
		}
	}
	for _, k := range sortedKeys(w.GetPolicies()) {
		if old, ok := cur.GetPolicies()[k]; ok && w.GetPolicies()[k].GetVersion() != old.GetVersion() {
			*out = append(*out, configChange{path: here + "/" + k + " (policy)", modPolicy: old.GetModPolicy(), scope: path})
		}
	}
	for _, k := range sortedKeys(w.GetGroups()) {
		if err := modified(append(slices.Clone(path), k), w.GetGroups()[k], cur.GetGroups()[k], out); err != nil {
			return err
		}
	}
	return nil
}

// policySatisfied evaluates the policy name (absolute "/Channel/Application/Admins", or relative to
// the group scope) of config over the signers, as Fabric does: a signature policy by its
// principals, an implicit-meta policy (ANY, ALL, MAJORITY of a sub-policy) over the sub-groups.
func policySatisfied(config *common.Config, scope []string, name string, signers []signer) (bool, error) {
	if name == "" {
		return false, fmt.Errorf("empty: the element cannot be modified")
	}
	path := scope
	if strings.HasPrefix(name, "/") {
		parts := strings.Split(strings.TrimPrefix(name, "/"), "/")
		path, name = parts[:len(parts)-1], parts[len(parts)-1]
	}
	g := config.GetChannelGroup()
	if len(path) == 0 || path[0] != "Channel" {
		return false, fmt.Errorf("no group %s", strings.Join(path, "/"))
	}
	for _, p := range path[1:] {
		if g = g.GetGroups()[p]; g == nil {
			return false, fmt.Errorf("no group %s", strings.Join(path, "/"))
		}
	}
	return groupPolicy(g, path, name, signers)
}

func groupPolicy(g *common.ConfigGroup, path []string, name string, signers []signer) (bool, error) {
	cp := g.GetPolicies()[name]
	if cp == nil {
		return false, fmt.Errorf("no policy %s in /%s", name, strings.Join(path, "/"))
	}
	pol := cp.GetPolicy()
	switch common.Policy_PolicyType(pol.GetType()) {
	case common.Policy_SIGNATURE:
		var env common.SignaturePolicyEnvelope
		if err := proto.Unmarshal(pol.GetValue(), &env); err != nil {
			return false, fmt.Errorf("decode signature policy: %w", err)
		}
		root, err := fromSignaturePolicy(env.GetRule(), env.GetIdentities())
		if err != nil {
			return false, err
		}
		return (&Policy{root: root}).satisfiedBy(signers), nil
	case common.Policy_IMPLICIT_META:
		var im common.ImplicitMetaPolicy
		if err := proto.Unmarshal(pol.GetValue(), &im); err != nil {
			return false, fmt.Errorf("decode implicit meta policy: %w", err)
		}
		subs := sortedKeys(g.GetGroups())
		got := 0
		for _, k := range subs {
			ok, err := groupPolicy(g.GetGroups()[k], append(slices.Clone(path), k), im.GetSubPolicy(), signers)
			if err != nil {
				return false, err
			}
			if ok {
				got++
			}
		}
		need := len(subs)
		switch im.GetRule() {
		case common.ImplicitMetaPolicy_ANY:
			need = 1
		case common.ImplicitMetaPolicy_MAJORITY:
			need = len(subs)/2 + 1
		}
		return got >= need, nil
	}
	return false, fmt.Errorf("policy type %d not supported", pol.GetType())
}

func signerNames(ss []signer) string {
	if len(ss) == 0 {
		return "nobody"
	}
	var out []string
	for _, s := range ss {
		role := "member"
		switch {
		case s.isAdmin:
			role = "admin"
		case s.isPeer:
			role = "peer"
		case s.isClient:
			role = "client"
		}
		out = append(out, s.msp+" "+role)
	}
	return strings.Join(out, ", ")
}
