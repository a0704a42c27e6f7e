package dev.sluice.api;

/**
 * What {@code DELETE /topics/{t}} answers once the controller has recorded the deletion: the topic
 * is gone from the metadata, and every replica removes its data (a node that is down does so when
 * it returns).
 *
 * <p>Thread-safety: immutable.
 *
 * @param name the deleted topic
 * @param topicId the deleted incarnation's id; null for a topic created before ids existed
 * @param partitionCount how many partitions it had
 */
public record TopicDeleted(String name, String topicId, int partitionCount) {}
