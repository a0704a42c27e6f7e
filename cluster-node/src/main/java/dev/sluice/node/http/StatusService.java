package dev.sluice.node.http;

import dev.sluice.api.ClusterStatus;
import java.util.concurrent.CompletionStage;

/**
 * The cluster at a glance for {@code GET /cluster/status}: members, controller, partition health,
 * leaders per node and stalled replicas. The stage fails with {@link ApiException} when the node
 * cannot answer (no metadata yet).
 */
public interface StatusService {
  CompletionStage<ClusterStatus> status();
}
