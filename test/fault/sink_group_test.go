package fault

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"

	"github.com/pixelpipe/pixelpipe/internal/testenv"
	"github.com/pixelpipe/pixelpipe/test/analytics"
)

// Two sinks share pixel.events in one group; one crashes mid-stream and its
// partitions go back to the other. Nothing is lost, nothing counted twice.
func TestTwoSinksShareTheWorkAndACrashOfOneLosesNothing(t *testing.T) {
	needSinkStack(t)
	tr := analytics.Generate(testenv.UniqueID("sinkgroup"), 1500, 21)
	msgs := eventMessages(t, tr.Stream)
	w := sinkWriter(t)
	other := testenv.StartInstance(t, "sink", "127.0.0.1:18084", "SINK_KAFKA_CLIENT_ID=pixelpipe-sink-test")
	waitForAssignedMembers(t, "pixelpipe-sink", 2)

	half, threeQuarters := len(msgs)/2, len(msgs)*3/4
	produce(t, w, msgs[:half])
	require.Eventually(t, func() bool { return other.Metric(t, "pixelpipe_sink_rows_total") > 0 },
		60*time.Second, 200*time.Millisecond, "the second sink stored nothing from its partitions")
	produce(t, w, msgs[half:threeQuarters])
	other.Kill(t)
	produce(t, w, msgs[threeQuarters:])

	analytics.RequireOneRowPerInteraction(t, tr, 2*time.Minute)
	analytics.RequireDocumentedAnswers(t, tr, 30*time.Second)
}

// waitForAssignedMembers waits until group is stable with n members that
// each own partitions, so what is produced next is shared between them.
func waitForAssignedMembers(t *testing.T, group string, n int) {
	t.Helper()
	client := &kafka.Client{Addr: kafka.TCP(testenv.KafkaAddr), Timeout: 5 * time.Second}
	require.Eventually(t, func() bool {
		resp, err := client.DescribeGroups(context.Background(), &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
		if err != nil || len(resp.Groups) != 1 {
			return false
		}
		g := resp.Groups[0]
		if g.GroupState != "Stable" || len(g.Members) != n {
			return false
		}
		for _, m := range g.Members {
			if len(m.MemberAssignments.Topics) == 0 {
				return false
			}
		}
		return true
	}, 60*time.Second, 200*time.Millisecond, "group %s never became stable with %d members owning partitions", group, n)
}
