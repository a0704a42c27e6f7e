package dev.sluice.api;

import java.util.List;

/**
 * What {@code GET /topics} answers: every topic with its assignment. The list is built from the
 * answering node's metadata alone, so replicas show as {@link ReplicaDescription#unknown}; {@code
 * GET /topics/{t}} adds the live status.
 *
 * <p>Thread-safety: immutable.
 *
 * @param topics in the order the server lists them
 */
public record TopicList(List<TopicDescription> topics) {
  public TopicList {
    topics = topics == null ? List.of() : List.copyOf(topics);
  }
}
