package main

import (
	"fmt"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer/etcdraft"
	"google.golang.org/protobuf/proto"
)

// channelSettings reads the block cutting the channel runs with now from the channel's
// configuration (cscc GetChannelConfig on the gateway's peer): a configuration update made at run
// time (`network.sh config-update`) changes it without touching the rendered configtx.yaml.
func channelSettings(gw *client.Gateway, channel string) (map[string]string, error) {
	raw, err := gw.GetNetwork(channel).GetContract("cscc").Evaluate("GetChannelConfig", client.WithArguments(channel))
	if err != nil {
		return nil, fmt.Errorf("reading the configuration of channel %s: %w", channel, err)
	}
	var cfg common.Config
	if err := proto.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("decoding the configuration of channel %s: %w", channel, err)
	}
	return ordererSettings(&cfg)
}

// ordererSettings are the Orderer group's block cutting and Raft snapshot settings, named and
// written as in configtx.yaml (sizes in Fabric's "MB"/"KB", powers of 1024).
func ordererSettings(cfg *common.Config) (map[string]string, error) {
	og := cfg.GetChannelGroup().GetGroups()["Orderer"]
	if og == nil {
		return nil, fmt.Errorf("the channel configuration has no Orderer group")
	}
	value := func(key string, m proto.Message) error {
		v, ok := og.GetValues()[key]
		if !ok {
			return fmt.Errorf("the Orderer group has no %s", key)
		}
		if err := proto.Unmarshal(v.GetValue(), m); err != nil {
			return fmt.Errorf("decoding the Orderer group's %s: %w", key, err)
		}
		return nil
	}
	var size orderer.BatchSize
	var timeout orderer.BatchTimeout
	var consensus orderer.ConsensusType
	for key, m := range map[string]proto.Message{"BatchSize": &size, "BatchTimeout": &timeout, "ConsensusType": &consensus} {
		if err := value(key, m); err != nil {
			return nil, err
		}
	}
	out := map[string]string{
		"BatchTimeout":      timeout.GetTimeout(),
		"MaxMessageCount":   fmt.Sprint(size.GetMaxMessageCount()),
		"AbsoluteMaxBytes":  fabricBytes(size.GetAbsoluteMaxBytes()),
		"PreferredMaxBytes": fabricBytes(size.GetPreferredMaxBytes()),
		"ConsensusType":     consensus.GetType(),
	}
	if consensus.GetType() == "etcdraft" {
		var raft etcdraft.ConfigMetadata
		if err := proto.Unmarshal(consensus.GetMetadata(), &raft); err != nil {
			return nil, fmt.Errorf("decoding the Raft options: %w", err)
		}
		out["SnapshotIntervalSize"] = fabricBytes(raft.GetOptions().GetSnapshotIntervalSize())
	}
	return out, nil
}

// fabricBytes writes a byte count as configtx.yaml does: "2 MB", "16 KB", or bytes.
func fabricBytes(n uint32) string {
	switch {
	case n != 0 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n != 0 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
